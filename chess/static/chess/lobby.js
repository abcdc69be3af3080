// Chess lobby: the socket says when the lists change (their version, on connect and
// after every change); the page then fetches the lists, rendered and escaped by the
// server, over HTTP. One fetch at a time; versions announced meanwhile coalesce.
import { LiveSocket } from "../js/live.js";

const lists = document.getElementById("lobby-lists");
let shown = lists ? lists.dataset.version : ""; // the version on screen ("" unknown)
let wanted = null; // the newest announced version not shown yet ("" unknown)
let busy = false;

async function load() {
  busy = true;
  while (wanted !== null) {
    const target = wanted;
    let response;
    try {
      response = await fetch(lists.dataset.url, { cache: "no-store" });
    } catch {
      break; // offline: the next announcement or reconnect tries again
    }
    if (!response.ok) break;
    // Server-rendered and escaped by Django templates; no user text is built here.
    lists.innerHTML = await response.text();
    shown = response.headers.get("X-Lobby-Version") || "";
    if (wanted === target || (shown && wanted === shown)) wanted = null;
  }
  busy = false;
}

function announced(version) {
  const text = version === null || version === undefined ? "" : String(version);
  if (text && text === shown) return;
  wanted = text;
  if (!busy && lists) load();
}

new LiveSocket("/ws/chess/lobby/", {
  onMessage(data) {
    if (data.type === "lobby") announced(data.version);
  },
});
