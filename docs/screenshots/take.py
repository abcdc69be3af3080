"""Take the README screenshots of the real pages.

Run `.venv/bin/python docs/screenshots/take.py`. It starts its own daphne (embedded
mode, a throw-away SQLite file) on a free port, plays a little in two Chromium
contexts (chat, roulette, chess) and writes PNGs next to this file. Needs Debian's
`chromium` on PATH.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from playwright.sync_api import Page, sync_playwright  # noqa: E402

from tests.support import DaphneServer, manage, server_env  # noqa: E402

VIEWPORT = {"width": 1200, "height": 820}
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def set_name(page: Page, base: str, name: str) -> None:
    page.goto(f"{base}/name/")
    page.get_by_label("Display name").fill(name)
    page.get_by_role("button", name="Save name").click()
    page.wait_for_load_state()


def shoot(page: Page, name: str) -> None:
    page.wait_for_timeout(400)
    page.screenshot(path=str(HERE / f"{name}.png"))
    print("wrote", HERE / f"{name}.png")


def chat(base: str, ann: Page, bob: Page) -> None:
    ann.goto(f"{base}/chat/")
    ann.get_by_label(re.compile("Room name", re.I)).fill("The Lounge")
    ann.get_by_role("button", name=re.compile("Create", re.I)).click()
    ann.wait_for_url(re.compile(r"/chat/the-lounge/"))
    bob.goto(ann.url)
    for page, text in [
        (ann, "Evening! Anyone up for a game of chess later?"),
        (bob, "Sure, give me ten minutes. Playing roulette right now."),
        (ann, "Red or black?"),
        (bob, "Red, always red. The wheel has no memory, I know."),
    ]:
        box = page.locator("#chat-form textarea, #chat-form input[name=body]").first
        box.fill(text)
        box.press("Enter")
        page.wait_for_timeout(250)
    bob.locator("#chat-form textarea, #chat-form input[name=body]").first.type("Be")
    ann.wait_for_timeout(300)  # the typing indicator arrives over the socket
    shoot(ann, "chat")


def roulette(base: str, page: Page) -> None:
    page.goto(f"{base}/roulette/")

    def click(name: str) -> None:
        with page.expect_navigation():
            page.get_by_role("button", name=name, exact=True).click()

    click("Straight 17, pays 35 to 1")
    click("Split 17/20, pays 17 to 1")
    click("Corner 13/14/16/17, pays 8 to 1")
    with page.expect_navigation():
        page.locator("label.rl-chip span", has_text=re.compile(r"^25$")).click()
        page.get_by_role("button", name="Red, pays 1 to 1", exact=True).click()
    click("Dozen 2 (13-24), pays 2 to 1")
    click("Spin")
    click("Rebet")
    shoot(page, "roulette")
    page.goto(f"{base}/roulette/simulator/?strategy=martingale&runs=40&spins=300")
    shoot(page, "simulator")


def chess(base: str, white: Page, black: Page) -> None:
    white.goto(f"{base}/chess/")
    white.get_by_label("White").check()
    white.get_by_role("button", name=re.compile("Create game", re.I)).click()
    white.wait_for_url(re.compile(r"/chess/[^/]+/$"))
    black.goto(white.url)
    black.get_by_role("button", name=re.compile("^Join")).click()
    black.wait_for_timeout(500)
    moves = ["e2e4", "e7e5", "g1f3", "b8c6", "f1b5", "a7a6", "b5a4", "g8f6", "e1g1"]
    for n, uci in enumerate(moves):
        page = white if n % 2 == 0 else black
        page.locator(f'[data-sq="{uci[:2]}"]').click()
        page.locator(f'[data-sq="{uci[2:4]}"]').click()
        page.wait_for_timeout(350)  # the opponent's board updates over the socket
    black.locator('[data-sq="f8"]').click()  # show the legal-move dots
    shoot(black, "chess")
    white.goto(f"{base}/chess/")
    shoot(white, "lobby")


def main() -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("Debian's chromium is not on PATH")
    with tempfile.TemporaryDirectory() as tmp:
        env = server_env(PARLOUR_SQLITE_PATH=f"{tmp}/shots.sqlite3")
        manage("migrate", "--noinput", env=env)
        server = DaphneServer(env=env).start(Path(tmp))
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=chromium, args=ARGS)
                ann = browser.new_context(viewport=VIEWPORT).new_page()
                bob = browser.new_context(viewport=VIEWPORT).new_page()
                base = server.url
                set_name(ann, base, "Ann")
                set_name(bob, base, "Bob")
                chat(base, ann, bob)
                roulette(base, ann)
                chess(base, ann, bob)
                ann.goto(f"{base}/")
                shoot(ann, "home")
                browser.close()
        finally:
            server.stop()


if __name__ == "__main__":
    main()
