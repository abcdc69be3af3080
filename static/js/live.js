// Shared WebSocket helper: JSON frames, reconnect with jittered exponential backoff,
// the connection indicator in the nav, and the aria-live announcer.

const indicator = () => document.getElementById("connection");

function showState(state) {
  const el = indicator();
  if (!el) return;
  el.hidden = false;
  el.dataset.state = state;
  el.textContent = {
    connecting: "connecting…",
    connected: "live",
    reconnecting: "reconnecting…",
    closed: "offline",
  }[state] || state;
}

export function announce(text) {
  const region = document.getElementById("announcer");
  if (!region) return;
  const line = document.createElement("p");
  line.textContent = text;
  region.append(line);
  // Keep the region short so screen readers only read what is new.
  while (region.childElementCount > 5) region.firstElementChild.remove();
}

export function wsUrl(path) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${path}`;
}

/**
 * A socket that reconnects by itself.
 * options.onMessage(data), options.onOpen(isReconnect), options.onClose(event)
 * options.fatalCodes: close codes after which it must not reconnect.
 */
export class LiveSocket {
  constructor(path, options = {}) {
    this.path = path;
    this.options = options;
    this.attempt = 0;
    this.opened = false;
    this.stopped = false;
    this.queue = [];
    this.connect();
    window.addEventListener("online", () => this.reconnectNow());
  }

  connect() {
    showState(this.opened ? "reconnecting" : "connecting");
    const ws = new WebSocket(wsUrl(this.path));
    this.ws = ws;
    ws.addEventListener("open", () => {
      const isReconnect = this.opened;
      this.opened = true;
      this.attempt = 0;
      showState("connected");
      if (this.options.onOpen) this.options.onOpen(isReconnect);
      for (const frame of this.queue.splice(0)) ws.send(frame);
    });
    ws.addEventListener("message", (event) => {
      let data;
      try {
        data = JSON.parse(event.data);
      } catch {
        return;
      }
      if (this.options.onMessage) this.options.onMessage(data);
    });
    ws.addEventListener("close", (event) => {
      if (this.ws !== ws) return;
      if (this.options.onClose) this.options.onClose(event);
      const fatal = (this.options.fatalCodes || []).includes(event.code);
      if (this.stopped || fatal) {
        showState("closed");
        return;
      }
      showState("reconnecting");
      const delay = Math.min(10000, 500 * 2 ** this.attempt) * (0.5 + Math.random() / 2);
      this.attempt += 1;
      this.timer = setTimeout(() => this.connect(), delay);
    });
  }

  reconnectNow() {
    if (this.stopped || (this.ws && this.ws.readyState <= WebSocket.OPEN)) return;
    clearTimeout(this.timer);
    this.connect();
  }

  get isOpen() {
    return this.ws && this.ws.readyState === WebSocket.OPEN;
  }

  send(payload) {
    const frame = JSON.stringify(payload);
    if (this.isOpen) this.ws.send(frame);
    else this.queue.push(frame);
  }

  close() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close();
  }
}
