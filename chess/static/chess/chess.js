// Live chess game page: renders the server's state, sends intents, never decides
// legality itself (the legal list comes from the server with every state).
import { LiveSocket, announce } from "../js/live.js";

const config = JSON.parse(document.getElementById("chess-config").textContent);
const me = config.colour; // "w", "b" or null (spectator)
const CONFIRM_MS = 3000;
const GLYPH = { k: "\u265a", q: "\u265b", r: "\u265c", b: "\u265d", n: "\u265e", p: "\u265f" };
const NAME = { k: "king", q: "queen", r: "rook", b: "bishop", n: "knight", p: "pawn" };
const FILES = "abcdefgh";

let state = config.state;
let fens = config.fens.slice(); // fens[n]: the position after n plies
let flipped = me === "b";
let selected = null; // square name of the piece picked up
let pending = null; // { uci, ply, timer, retried, resent }
let viewPly = null; // null: the live position; else a ply of the history
let drag = null;
let promotion = null; // { from, to }
let errorTimer = null;
// Clocks: the last state's clock and the local moment it arrived; the running side
// counts down from there (the server stays the authority and flags on its own).
let clockAt = performance.now();
let flagSentAt = 0;
// Presence: when each player's sockets all closed (server epoch ms) and the
// server-minus-local clock offset, for the "opponent left" claim.
let goneSince = state.gone_since || { w: null, b: null };
let goneAfterMs = (state.gone_claim_after || 30) * 1000;
let serverOffset = state.clock ? state.clock.now - Date.now() : 0;

const $ = (id) => document.getElementById(id);
const board = $("board");
const squares = Array.from(board.querySelectorAll(".sq"));

function parseFen(fen) {
  const grid = {};
  fen.split(" ")[0].split("/").forEach((row, i) => {
    let file = 0;
    for (const ch of row) {
      if (ch >= "1" && ch <= "8") file += Number(ch);
      else grid[FILES[file++] + (8 - i)] = ch;
    }
  });
  return grid;
}

const colourOf = (piece) => (piece === piece.toUpperCase() ? "w" : "b");
const live = () => viewPly === null;
const canMove = () =>
  live() && me && state.status === "active" && state.turn === me && !pending;

function squareAt(index) {
  const row = Math.floor(index / 8);
  const col = index % 8;
  const rank = flipped ? row + 1 : 8 - row;
  const file = flipped ? 7 - col : col;
  return FILES[file] + rank;
}

function displayedGrid() {
  if (!live()) return parseFen(fens[viewPly]);
  const grid = parseFen(state.fen);
  if (pending) {
    // Show the player's own move at once; the server's state replaces it.
    const from = pending.uci.slice(0, 2);
    const to = pending.uci.slice(2, 4);
    const piece = grid[from];
    delete grid[from];
    if (piece) grid[to] = pending.uci[4] ? (me === "w" ? pending.uci[4].toUpperCase() : pending.uci[4]) : piece;
  }
  return grid;
}

function renderBoard() {
  const grid = displayedGrid();
  const last = live() ? (pending ? pending.uci : state.last_move) : state.moves[viewPly - 1];
  const targets = new Map();
  if (selected && canMove()) {
    for (const uci of state.legal) if (uci.startsWith(selected)) targets.set(uci.slice(2, 4), true);
  }
  board.classList.toggle("flipped", flipped);
  board.classList.toggle("playable", Boolean(canMove()));
  squares.forEach((btn, index) => {
    const name = squareAt(index);
    const piece = grid[name];
    const fileIndex = FILES.indexOf(name[0]);
    const dark = (fileIndex + Number(name[1])) % 2 === 1; // a1 is dark
    btn.dataset.sq = name;
    btn.className = "sq " + (dark ? "dark" : "light");
    if (last && (last.slice(0, 2) === name || last.slice(2, 4) === name)) btn.classList.add("last");
    if (live() && !pending && state.check === name) btn.classList.add("check");
    if (selected === name) btn.classList.add("selected");
    if (targets.has(name)) btn.classList.add(piece ? "capture" : "target");
    const parts = [];
    let label = name;
    if (piece) {
      const span = document.createElement("span");
      span.className = "pc " + (colourOf(piece) === "w" ? "pc-w" : "pc-b");
      span.setAttribute("aria-hidden", "true");
      span.textContent = GLYPH[piece.toLowerCase()] + "\ufe0e";
      parts.push(span);
      label += `, ${colourOf(piece) === "w" ? "white" : "black"} ${NAME[piece.toLowerCase()]}`;
    }
    if (targets.has(name)) label += ", legal move";
    const row = Math.floor(index / 8);
    const col = index % 8;
    if (row === 7) parts.push(coord("file", name[0]));
    if (col === 0) parts.push(coord("rank", name[1]));
    btn.replaceChildren(...parts);
    btn.setAttribute("aria-label", label);
  });
  $("board-area").classList.toggle("flipped", flipped);
}

function coord(kind, text) {
  const span = document.createElement("span");
  span.className = "coord " + kind;
  span.setAttribute("aria-hidden", "true");
  span.textContent = text;
  return span;
}

function renderMoves() {
  const list = $("move-list");
  const items = [];
  state.san.forEach((san, i) => {
    if (i % 2 === 0) items.push(document.createElement("li"));
    const btn = document.createElement("button");
    btn.type = "button";
    btn.className = "link-button mv";
    btn.dataset.ply = String(i + 1);
    btn.textContent = san;
    btn.disabled = !fens[i + 1];
    if (viewPly === i + 1 || (live() && i === state.san.length - 1)) btn.classList.add("current");
    const li = items[items.length - 1];
    li.append(btn, " ");
  });
  list.replaceChildren(...items);
  $("history-nav").hidden = live();
}

function setHidden(name, hidden) {
  for (const el of document.querySelectorAll(`[data-control="${name}"]`)) el.hidden = hidden;
}

function renderSide() {
  const active = state.status === "active";
  const offer = state.draw_offer;
  // The server decides which controls each seat sees (state.controls, from the
  // same rules that render the page); spectators see none. The "opponent left"
  // claim depends on elapsed time and is renderGone's.
  const shown = new Set(me && state.controls ? state.controls[me] : []);
  for (const el of document.querySelectorAll("[data-control]")) {
    if (el.dataset.control !== "gone_claim") el.hidden = !shown.has(el.dataset.control);
  }
  const rematchButton = document.querySelector('[data-control="rematch"]');
  if (rematchButton) rematchButton.textContent = state.rematch_offer ? "Accept rematch" : "Rematch";
  if (state.rematch) $("rematch-link").href = `/chess/${state.rematch}/`;
  for (const side of ["w", "b"]) {
    $(`captured-${side}`).textContent = Array.from(state.captured[side], (p) => GLYPH[p] + "\ufe0e").join("");
    const lead = side === "w" ? state.advantage : -state.advantage;
    $(`advantage-${side}`).textContent = lead > 0 ? `+${lead}` : "";
  }
  let text = state.status_text;
  if (active && me && state.turn === me) text += " Your move.";
  if (active && offer && offer !== me && me) text += " Your opponent offers a draw.";
  $("status-line").textContent = text;
  $("fen").value = state.fen;
  $("name-w").textContent = state.players.white || "(free seat)";
  $("name-b").textContent = state.players.black || "(free seat)";
  const join = $("join-form");
  if (join && state.status !== "waiting") join.hidden = true;
  const typedPly = $("typed-ply");
  if (typedPly) typedPly.value = String(state.ply);
}

// The client's only copy of the clock format (chess.views.clock_text renders the
// first paint; this one re-renders the running countdown between states).
function clockText(ms) {
  ms = Math.max(ms, 0);
  if (ms < 10000) return `${Math.floor(ms / 1000)}.${Math.floor((ms % 1000) / 100)}`;
  const seconds = Math.floor(ms / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

function clockLeft(side) {
  const clock = state.clock;
  const stored = side === "w" ? clock.white : clock.black;
  if (clock.running !== side || state.status !== "active") return stored;
  return stored - (performance.now() - clockAt);
}

function renderClocks() {
  if (!state.clock) return;
  for (const side of ["w", "b"]) {
    const el = $(`clock-${side}`);
    if (!el) continue;
    const left = clockLeft(side);
    el.textContent = clockText(left);
    el.dataset.running = String(state.status === "active" && state.clock.running === side);
    el.dataset.low = String(left < 10000);
  }
  const running = state.clock.running;
  // Either player may claim the flag; the server checks it against its own clock
  // (and ends the game by itself if nobody claims). At most one claim a second.
  if (me && running && state.status === "active" && clockLeft(running) <= 0) {
    const now = performance.now();
    if (now - flagSentAt > 1000) {
      flagSentAt = now;
      socket.send({ type: "flag" });
    }
  }
}

function opponentGoneLongEnough() {
  if (!me || state.status !== "active") return false;
  const since = goneSince[me === "w" ? "b" : "w"];
  return Boolean(since) && Date.now() + serverOffset - since >= goneAfterMs;
}

function renderGone() {
  setHidden("gone_claim", !opponentGoneLongEnough());
}

function render() {
  renderBoard();
  renderMoves();
  renderSide();
  renderClocks();
  renderGone();
}

function showError(message) {
  const el = $("chess-error");
  el.textContent = message;
  el.hidden = false;
  clearTimeout(errorTimer);
  errorTimer = setTimeout(() => (el.hidden = true), 6000);
}

// --- commands ------------------------------------------------------------------

function sendMove(uci) {
  selected = null;
  pending = { uci, ply: state.ply, retried: false, resent: false };
  pending.timer = setTimeout(onPendingTimeout, CONFIRM_MS);
  socket.send({ type: "move", uci, ply: state.ply });
  render();
}

function onPendingTimeout() {
  if (!pending) return;
  if (!pending.retried) {
    // Not confirmed in time: ask for the full state. If the move is not in it, it
    // is sent again with the same ply, which the server can apply at most once.
    pending.retried = true;
    socket.send({ type: "sync" });
    pending.timer = setTimeout(onPendingTimeout, CONFIRM_MS);
    return;
  }
  clearPending();
  showError("Your move was not confirmed. Please play it again.");
  render();
}

function clearPending() {
  if (pending) clearTimeout(pending.timer);
  pending = null;
}

function onSquare(name) {
  if (!canMove()) return;
  const grid = parseFen(state.fen);
  if (selected && selected !== name) {
    const moves = state.legal.filter((uci) => uci.startsWith(selected + name));
    if (moves.length > 1 || (moves.length === 1 && moves[0].length === 5)) {
      askPromotion(selected, name);
      return;
    }
    if (moves.length === 1) {
      sendMove(moves[0]);
      return;
    }
  }
  const piece = grid[name];
  if (selected === name) selected = null;
  else if (piece && colourOf(piece) === me && state.legal.some((uci) => uci.startsWith(name))) selected = name;
  else selected = null;
  renderBoard();
}

function askPromotion(from, to) {
  promotion = { from, to };
  const dialog = $("promotion");
  dialog.hidden = false;
  dialog.querySelector("button").focus();
}

$("promotion").addEventListener("click", (event) => {
  const btn = event.target.closest("button[data-promo]");
  if (!btn || !promotion) return;
  const { from, to } = promotion;
  promotion = null;
  $("promotion").hidden = true;
  if (btn.dataset.promo) sendMove(from + to + btn.dataset.promo);
  else {
    selected = null;
    renderBoard();
  }
  board.querySelector(`[data-sq="${to}"]`)?.focus();
});

// Keyboard (Enter/Space on a square button) arrives as a click with detail 0;
// mouse, pen and touch go through the pointer handlers below.
board.addEventListener("click", (event) => {
  const btn = event.target.closest(".sq");
  if (btn && event.detail === 0) onSquare(btn.dataset.sq);
});

// Arrow keys move the focus between squares as they are shown on screen.
board.addEventListener("keydown", (event) => {
  const step = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -8, ArrowDown: 8 }[event.key];
  const btn = event.target.closest(".sq");
  if (!step || !btn) return;
  const index = squares.indexOf(btn);
  const next = index + step;
  const sameRow = Math.abs(step) === 8 || Math.floor(next / 8) === Math.floor(index / 8);
  if (next < 0 || next > 63 || !sameRow) return;
  event.preventDefault();
  squares[next].focus();
});

board.addEventListener("pointerdown", (event) => {
  const btn = event.target.closest(".sq");
  if (!btn || event.button !== 0) return;
  event.preventDefault();
  btn.focus({ preventScroll: true });
  drag = { from: btn.dataset.sq, x: event.clientX, y: event.clientY, ghost: null, id: event.pointerId };
  const piece = parseFen(state.fen)[drag.from];
  drag.movable = canMove() && piece && colourOf(piece) === me;
  board.setPointerCapture(event.pointerId);
});

board.addEventListener("pointermove", (event) => {
  if (!drag || event.pointerId !== drag.id || !drag.movable) return;
  if (!drag.ghost && Math.hypot(event.clientX - drag.x, event.clientY - drag.y) > 6) {
    const source = board.querySelector(`[data-sq="${drag.from}"] .pc`);
    if (!source) return;
    selected = drag.from;
    renderBoard();
    drag.ghost = source.cloneNode(true);
    drag.ghost.classList.add("ghost");
    const size = board.querySelector(".sq").getBoundingClientRect().width;
    drag.ghost.style.fontSize = `${size * 0.8}px`;
    document.body.append(drag.ghost);
    board.querySelector(`[data-sq="${drag.from}"] .pc`)?.classList.add("lifted");
  }
  if (drag.ghost) {
    drag.ghost.style.left = `${event.clientX}px`;
    drag.ghost.style.top = `${event.clientY}px`;
  }
});

function endDrag(event, cancelled) {
  if (!drag || event.pointerId !== drag.id) return;
  const current = drag;
  drag = null;
  if (board.hasPointerCapture(event.pointerId)) board.releasePointerCapture(event.pointerId);
  const under = cancelled ? null : document.elementFromPoint(event.clientX, event.clientY)?.closest(".sq");
  const target = under && board.contains(under) ? under.dataset.sq : null;
  if (current.ghost) {
    current.ghost.remove();
    if (target && target !== current.from) {
      selected = current.from;
      onSquare(target);
    } else renderBoard();
    return;
  }
  if (target) onSquare(target);
}

board.addEventListener("pointerup", (event) => endDrag(event, false));
board.addEventListener("pointercancel", (event) => endDrag(event, true));

$("flip").addEventListener("click", () => {
  flipped = !flipped;
  renderBoard();
});

$("move-list").addEventListener("click", (event) => {
  const btn = event.target.closest("button[data-ply]");
  if (!btn) return;
  const ply = Number(btn.dataset.ply);
  viewPly = ply === state.ply ? null : ply;
  selected = null;
  render();
});

$("history-live").addEventListener("click", () => {
  viewPly = null;
  render();
});

// Buttons are real form submits (they work without JavaScript); with a live
// socket the command goes over it instead of a page load.
$("controls").addEventListener("submit", (event) => {
  const btn = event.submitter;
  if (!btn || !btn.value) return;
  event.preventDefault();
  if (btn.value === "resign" && !btn.dataset.armed) {
    btn.dataset.armed = "1";
    btn.textContent = "Really resign?";
    setTimeout(() => {
      delete btn.dataset.armed;
      btn.textContent = "Resign";
    }, 4000);
    return;
  }
  const command = { type: btn.value };
  if (btn.dataset.outcome) command.outcome = btn.dataset.outcome;
  socket.send(command);
});

const typed = $("typed-move");
if (typed) {
  typed.addEventListener("submit", (event) => {
    event.preventDefault();
    const input = typed.querySelector("input[name=uci]");
    const uci = input.value.trim().toLowerCase();
    if (!canMove()) {
      showError("It is not your turn.");
      return;
    }
    input.value = "";
    sendMove(uci);
  });
}

// --- server messages -------------------------------------------------------------

function onState(next) {
  const newer = next.version > state.version;
  if (!newer && !pending) return; // a duplicate or an old frame
  const previous = state;
  if (newer) {
    state = next;
    clockAt = performance.now();
    if (state.clock) serverOffset = state.clock.now - Date.now();
    if (fens.length > state.ply + 1) fens.length = state.ply + 1;
    while (fens.length < state.ply) fens.push(null); // a gap: those plies stay unviewable
    fens[state.ply] = state.fen;
  }
  if (pending) {
    if (state.ply > pending.ply || state.status !== "active") clearPending();
    else if (!newer && pending.retried && !pending.resent && state.legal.includes(pending.uci)) {
      pending.resent = true;
      socket.send({ type: "move", uci: pending.uci, ply: pending.ply });
      return;
    }
  }
  if (newer) {
    selected = selected && canMove() ? selected : null;
    if (promotion && !canMove()) {
      promotion = null; // e.g. the opponent resigned while the picker was open
      $("promotion").hidden = true;
    }
    announceChange(previous, state);
  }
  render();
}

function announceChange(previous, next) {
  if (next.rematch && !previous.rematch) {
    announce("The rematch starts.");
    // Players go straight to their next game; spectators get a link.
    if (me) window.location.assign(`/chess/${next.rematch}/`);
  }
  if (next.rematch_offer && next.rematch_offer !== previous.rematch_offer && next.rematch_offer !== me) {
    announce(`${next.rematch_offer === "w" ? "White" : "Black"} asks for a rematch.`);
  }
  if (next.ply > previous.ply && next.san.length) {
    const mover = next.ply % 2 === 1 ? "White" : "Black";
    if (!me || (mover === "White") !== (me === "w")) announce(`${mover} played ${next.san[next.san.length - 1]}.`);
  }
  if (next.status !== previous.status) announce(next.status_text);
  if (next.draw_offer && next.draw_offer !== previous.draw_offer && next.draw_offer !== me) {
    announce(`${next.draw_offer === "w" ? "White" : "Black"} offers a draw.`);
  }
}

function onPresence(data) {
  for (const colour of ["w", "b"]) {
    const online = Boolean(data[colour === "w" ? "white" : "black"]);
    const dot = $(`online-${colour}`);
    dot.dataset.online = String(online);
    dot.title = online ? "online" : "offline";
    $(`online-${colour}-text`).textContent = online ? "online" : "offline";
  }
  $("spectators").textContent = String(data.spectators);
  if (data.gone_since) goneSince = data.gone_since;
  if (data.gone_claim_after) goneAfterMs = data.gone_claim_after * 1000;
  if (data.now) serverOffset = data.now - Date.now();
  renderGone();
}

const socket = new LiveSocket(config.socket, {
  fatalCodes: [4404],
  onMessage(data) {
    if (data.type === "state") onState(data);
    else if (data.type === "presence") onPresence(data);
    else if (data.type === "error") {
      if (data.command === "move") {
        clearPending();
        render();
      }
      // An early automatic flag claim (a local timer running fast) is retried
      // quietly; the server flags on its own timer anyway.
      if (data.command === "flag") return;
      showError(data.message);
    }
  },
});

render();
// Clocks count down between states; the "opponent left" buttons appear on time.
setInterval(() => {
  renderClocks();
  renderGone();
}, 100);
