// Chat: live room page (messages, resume after reconnect, members, typing, older
// pages) and live head counts on the room list. User text only ever goes into the
// page through textContent; the markup comes from the server-rendered template.
import { LiveSocket, announce } from "../js/live.js";

const TYPING_SEND_EVERY = 3000; // ms between our own typing notices
const TYPING_SHOW_FOR = 6000; // ms a typing notice stays without a refresh
const NEAR_BOTTOM = 80; // px: follow new messages only if already at the bottom
// Close codes after which reconnecting cannot help. The reason also comes in an
// error frame just before the close (daphne does not forward close reasons).
const FATAL = {
  4403: "Pick a display name first.",
  4404: "There is no such room.",
  4410: "This room is closed.",
};

// A live message extends the resume cursor only after this long: with several
// server processes, a lower id can be published a moment after a higher one.
export const SETTLE_MS = 5000;

/**
 * Catch-up bookkeeping, kept pure (time is passed in) so it can be tested on its
 * own. `cursor` is the highest id up to which the client has every message: resume
 * and continuation requests start there, never at the newest id seen, because live
 * messages run ahead of a catch-up that is still paging (a busy room after a long
 * disconnect). Live messages extend it once this connection's backlog is complete
 * and they have settled (SETTLE_MS); newer ones are asked for again after a
 * reconnect, and the duplicates are dropped by id.
 */
export class CatchUp {
  constructor(cursor = 0) {
    this.cursor = cursor;
    this.synced = false;
    this.recent = []; // [id, arrival time] of live messages not yet in the cursor
  }

  // A connection opened: the request to send.
  open() {
    this.synced = false;
    this.recent = [];
    return { type: "resume", after: this.cursor };
  }

  close(now) {
    this.settle(now);
    this.synced = false;
    this.recent = [];
  }

  live(id, now) {
    if (id > this.cursor) this.recent.push([id, now]);
    this.settle(now);
  }

  // A backlog reply: the continuation request to send, or null when complete.
  backlog(reply, now) {
    const ids = reply.messages.map((message) => message.id);
    const last = ids.length ? Math.max(...ids) : reply.after;
    this.cursor = Math.max(this.cursor, last);
    if (reply.has_more) return { type: "resume", after: last };
    // Complete: the group was joined before the backlog was read, so every later
    // message has come, or will come, live on this connection.
    this.synced = true;
    this.settle(now);
    return null;
  }

  settle(now) {
    if (!this.synced) return; // a gap below these may still be being fetched
    for (const [id, at] of this.recent) {
      if (now - at >= SETTLE_MS) this.cursor = Math.max(this.cursor, id);
    }
    this.recent = this.recent.filter(([id]) => id > this.cursor);
  }
}

// A fresh id for one message, sent again with every retry of it so the server stores
// it once. Random, not a counter: two tabs of one person share the id space.
// (getRandomValues, unlike randomUUID, also works on plain-HTTP pages.)
export function newClientId() {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

function localTime(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function roomPage(config) {
  const log = document.getElementById("chat-log");
  const form = document.getElementById("chat-form");
  const input = form ? form.querySelector("textarea") : null;
  const errorBox = document.getElementById("chat-error");
  const typingLine = document.getElementById("chat-typing");
  const olderLink = document.getElementById("chat-older");
  const template = document.getElementById("chat-message-template");
  const known = new Set();
  const catchUp = new CatchUp(config.lastId || 0);
  let oldestId = config.oldestId || 0;
  let hasOlder = Boolean(config.hasOlder);
  let loadingOlder = false;
  // Our messages in flight, by the client_id sent with them: the server answers
  // each with `sent` or with an error carrying that id, in any order. Those still
  // unanswered when the socket drops are sent again, with the same id, on the
  // next connection: the server stores each once whatever the retries.
  const pending = new Map();
  // The last refused message put back in the composer: sent again unchanged, it
  // keeps its id (a "try again" refusal may come after it was stored).
  let restored = null;
  let lastTypingSent = 0;
  let ended = false;
  let refusal = ""; // reason given by the server before a fatal close
  const typing = new Map(); // name -> timer

  for (const item of log.querySelectorAll(".chat-msg")) {
    known.add(Number(item.dataset.id));
    const time = item.querySelector("time");
    if (time) time.textContent = localTime(time.dateTime);
  }

  const nearBottom = () => log.scrollHeight - log.scrollTop - log.clientHeight < NEAR_BOTTOM;
  const scrollDown = () => { log.scrollTop = log.scrollHeight; };
  scrollDown();

  function showError(text) {
    if (!errorBox) return;
    errorBox.textContent = text;
    errorBox.hidden = !text;
  }

  function build(message) {
    const item = template.content.firstElementChild.cloneNode(true);
    item.dataset.id = String(message.id);
    item.dataset.author = message.author;
    item.querySelector(".chat-author").textContent = message.author;
    const time = item.querySelector("time");
    time.dateTime = message.created;
    time.title = message.created;
    time.textContent = localTime(message.created);
    item.querySelector(".chat-body").textContent = message.body;
    return item;
  }

  // Insert in id order whatever order frames arrive in (live vs. backlog), once.
  function addMessage(message, { quiet = false } = {}) {
    if (typeof message.id !== "number" || known.has(message.id)) return;
    known.add(message.id);
    const follow = nearBottom();
    log.querySelector(".chat-empty")?.remove();
    const item = build(message);
    let next = null;
    for (const other of log.querySelectorAll(".chat-msg")) {
      if (Number(other.dataset.id) > message.id) { next = other; break; }
    }
    if (next) log.insertBefore(item, next);
    else log.append(item);
    if (!oldestId || message.id < oldestId) oldestId = message.id;
    stopTyping(message.author);
    const mine = message.author === config.me;
    if (!mine && !quiet) announce(`${message.author}: ${message.body}`);
    if (follow || mine) scrollDown();
  }

  function addNotice(text) {
    const item = document.createElement("li");
    item.className = "chat-notice";
    item.textContent = text;
    const follow = nearBottom();
    log.append(item);
    if (follow) scrollDown();
  }

  // Who is here: the welcome frame's full list, then join/leave deltas.
  const members = new Set();

  function setMembers(names) {
    members.clear();
    for (const name of names) members.add(name);
    renderMembers();
  }

  function renderMembers() {
    const names = [...members].sort((a, b) => a.localeCompare(b, undefined, { sensitivity: "base" }));
    const list = document.getElementById("chat-members");
    list.replaceChildren(...names.map((name) => {
      const item = document.createElement("li");
      item.textContent = name;
      return item;
    }));
    document.getElementById("chat-member-count").textContent = String(names.length);
  }

  function renderTyping() {
    const names = [...typing.keys()];
    let text = "";
    if (names.length === 1) text = `${names[0]} is typing…`;
    else if (names.length === 2) text = `${names[0]} and ${names[1]} are typing…`;
    else if (names.length > 2) text = "Several people are typing…";
    typingLine.textContent = text;
  }

  function startTyping(name) {
    if (!name || name === config.me) return;
    clearTimeout(typing.get(name));
    typing.set(name, setTimeout(() => stopTyping(name), TYPING_SHOW_FOR));
    renderTyping();
  }

  function stopTyping(name) {
    if (!typing.has(name)) return;
    clearTimeout(typing.get(name));
    typing.delete(name);
    renderTyping();
  }

  function prependHistory(messages, more) {
    const before = log.scrollHeight;
    const first = log.firstElementChild;
    for (const message of messages) {
      if (known.has(message.id)) continue;
      known.add(message.id);
      log.insertBefore(build(message), first);
      if (!oldestId || message.id < oldestId) oldestId = message.id;
    }
    log.scrollTop += log.scrollHeight - before; // keep the reader's place
    hasOlder = more;
    olderLink.parentElement.hidden = !hasOlder;
    if (hasOlder) olderLink.href = `?before=${oldestId}`;
    loadingOlder = false;
  }

  function end(text) {
    ended = true;
    showError(text);
    if (form) {
      for (const control of form.elements) control.disabled = true;
    }
    typing.clear();
    renderTyping();
  }

  const socket = new LiveSocket(config.socket, {
    fatalCodes: Object.keys(FATAL).map(Number),
    onOpen() {
      // First open and every reconnect: fetch exactly what was missed, then
      // retry what the last connection left unanswered.
      socket.send(catchUp.open());
      for (const [clientId, body] of pending) {
        socket.send({ type: "message", body, client_id: clientId });
      }
    },
    onClose(event) {
      catchUp.close(performance.now());
      if (event.code in FATAL) end(event.reason || refusal || FATAL[event.code]);
    },
    onMessage(data) {
      switch (data.type) {
        case "message":
          addMessage(data);
          if (typeof data.id === "number") catchUp.live(data.id, performance.now());
          break;
        case "backlog": {
          for (const message of data.messages) addMessage(message, { quiet: true });
          const more = catchUp.backlog(data, performance.now());
          if (more) socket.send(more);
          break;
        }
        case "history":
          prependHistory(data.messages, data.has_more);
          break;
        case "welcome":
          setMembers(data.members);
          break;
        case "join":
        case "leave":
          if (data.type === "join") members.add(data.name);
          else members.delete(data.name);
          renderMembers();
          if (data.name !== config.me) {
            const text = `${data.name} ${data.type === "join" ? "joined" : "left"}`;
            addNotice(text);
            announce(text);
          }
          if (data.type === "leave") stopTyping(data.name);
          break;
        case "typing":
          startTyping(data.name);
          break;
        case "deleted":
          log.querySelector(`.chat-msg[data-id="${Number(data.id)}"]`)?.remove();
          break;
        case "closed":
          end(data.message);
          break;
        case "sent":
          pending.delete(data.client_id);
          break;
        case "error": {
          if (data.code in FATAL) refusal = data.message;
          showError(data.message);
          // The refused message goes back into an empty composer so nothing is lost.
          const body = pending.get(data.client_id);
          pending.delete(data.client_id);
          if (body !== undefined && input && !input.value) {
            input.value = body;
            restored = { clientId: data.client_id, body };
          }
          break;
        }
        default:
          break;
      }
    },
  });

  if (form && input) {
    form.addEventListener("submit", (event) => {
      // Without a live socket the form posts normally (PRG), which always works.
      if (!socket.isOpen || ended) return;
      event.preventDefault();
      const body = input.value;
      if (!body.trim()) {
        showError("Type a message first.");
        return;
      }
      showError("");
      const clientId = restored?.body === body ? restored.clientId : newClientId();
      restored = null;
      pending.set(clientId, body);
      socket.send({ type: "message", body, client_id: clientId });
      lastTypingSent = 0; // the next keystroke starts a new typing notice
      input.value = "";
      input.focus();
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    input.addEventListener("input", () => {
      const now = Date.now();
      if (input.value.trim() && socket.isOpen && now - lastTypingSent > TYPING_SEND_EVERY) {
        lastTypingSent = now;
        socket.send({ type: "typing" });
      }
    });
  }

  if (olderLink) {
    olderLink.addEventListener("click", (event) => {
      if (!socket.isOpen || !oldestId) return; // follow the link: a plain page
      event.preventDefault();
      if (loadingOlder || !hasOlder) return;
      loadingOlder = true;
      socket.send({ type: "history", before: oldestId });
    });
  }
}

function roomList() {
  const list = document.getElementById("chat-rooms");
  if (!list) return;
  new LiveSocket("/ws/chat/", {
    onMessage(data) {
      if (data.type !== "count") return;
      const item = list.querySelector(`[data-room="${CSS.escape(String(data.room))}"]`);
      const count = item?.querySelector(".chat-online-count");
      if (count) count.textContent = String(data.online);
    },
  });
}

const configElement = document.getElementById("chat-config");
if (configElement) roomPage(JSON.parse(configElement.textContent));
else roomList();
