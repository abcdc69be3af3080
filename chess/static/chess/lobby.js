// Chess lobby: the game lists are re-rendered by the server and pushed on change.
import { LiveSocket } from "../js/live.js";

const lists = document.getElementById("lobby-lists");
const socket = new LiveSocket("/ws/chess/lobby/", {
  onOpen(isReconnect) {
    // Changes made while disconnected were missed: ask for the current lists.
    if (isReconnect) socket.send({ type: "sync" });
  },
  onMessage(data) {
    // Server-rendered and escaped by Django templates; no user text is built here.
    if (data.type === "lobby" && lists) lists.innerHTML = data.html;
  },
});
