// Roulette table enhancements. The table works fully without this file (every
// button is a form POST that redirects); this only makes the round trips pleasant:
// the scroll position survives each reload, a second click while a form is on its
// way is ignored, arrow keys move between numbers, and results are announced.

const root = document.getElementById("roulette");
const SCROLL_KEY = "roulette:scroll";

if (root) {
  restoreScroll();
  guardDoubleSubmit();
  arrowKeys();
  announceFlash();
}

function restoreScroll() {
  const saved = sessionStorage.getItem(SCROLL_KEY);
  sessionStorage.removeItem(SCROLL_KEY);
  if (saved !== null) {
    window.scrollTo(0, Number(saved) || 0);
  }
  document.addEventListener("submit", () => {
    sessionStorage.setItem(SCROLL_KEY, String(window.scrollY));
  });
}

// The server refuses replays anyway (each form carries the table version); this
// just spares the user the "already done" notice after an accidental double click.
function guardDoubleSubmit() {
  let sending = false;
  document.addEventListener("submit", (event) => {
    if (sending) {
      event.preventDefault();
      return;
    }
    sending = true;
    root.setAttribute("aria-busy", "true");
  });
  // Coming back through the back/forward cache: the page is live again.
  window.addEventListener("pageshow", () => {
    sending = false;
    root.removeAttribute("aria-busy");
  });
}

// Arrow keys move between the numbers of the layout (rows 0..12, columns 1..3),
// so keyboard users need not tab through every split and corner.
function arrowKeys() {
  const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
  root.addEventListener("keydown", (event) => {
    const target = event.target;
    const move = moves[event.key];
    if (!move || !(target instanceof HTMLElement) || !target.dataset.row) {
      return;
    }
    const row = Number(target.dataset.row) + move[0];
    const col = Number(target.dataset.col) + move[1];
    let next = root.querySelector(`[data-row="${row}"][data-col="${col}"]`);
    if (!next && row === 0) {
      // The zero row has one or two cells: pick the closest.
      next = root.querySelector(`[data-row="0"][data-col="${col >= 2 ? 2 : 1}"]`)
        || root.querySelector('[data-row="0"][data-col="1"]');
    }
    if (next) {
      event.preventDefault();
      next.focus();
    }
  });
}

// The flash messages of a redirect are in the page from the start, which screen
// readers do not announce; copying them into the live region does.
function announceFlash() {
  const announcer = document.getElementById("announcer");
  const flashes = document.querySelectorAll(".flash li");
  if (!announcer || flashes.length === 0) {
    return;
  }
  const text = Array.from(flashes, (item) => item.textContent.trim()).join(" ");
  window.setTimeout(() => {
    announcer.textContent = text;
  }, 150);
}
