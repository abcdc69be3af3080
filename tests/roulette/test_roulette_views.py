"""The table, wheel and simulator pages: PRG, messages, refusals, replays, admin."""

import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.template.loader import render_to_string
from django.test import Client

from roulette import selectors, services
from roulette.models import Bet, BetStatus, Spin, Wallet
from roulette.selectors import HOT_COLD_MINIMUM, home_stats
from tests.visitor_support import client_visitor_id

pytestmark = pytest.mark.django_db


def flashes(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_table_page_shows_the_layout_and_a_fresh_bankroll(table):
    html = table.get()
    assert 'data-testid="bankroll">1000<' in html
    assert 'aria-label="Straight 17, pays 35 to 1"' in html
    assert 'aria-label="Split 0/00, pays 17 to 1"' in html
    assert 'aria-label="Top line 0/00/1/2/3, pays 6 to 1"' in html
    assert 'value="corner:1-2-4-5"' in html
    assert "roulette/roulette.js" in html
    # Every spot is a real submit button of a POST form: no JavaScript needed.
    assert (
        html.count('type="submit" name="spot"') == 38 + 62 + 22 + 12 + 11 + 3 + 1 + 12
    )
    assert not Wallet.objects.exists()  # a look opens no wallet


def test_placing_a_bet_redirects_with_a_message(table):
    response = table.place("split:17-20", chip=25)
    assert response.status_code == 302 and response["Location"] == "/roulette/"
    assert flashes(response) == ["25 on Split 17/20 (pays 17 to 1)."]
    html = table.get()
    assert 'data-testid="bankroll">975<' in html
    assert 'data-testid="on-table">25<' in html
    assert "Split 17/20, pays 17 to 1, 25 chips on it" in html


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"spot": "split:1-5", "chip": 5}, "Pockets 1, 5 do not form a split"),
        ({"spot": "straight:00", "chip": 1000}, "Choose one of the chip values"),
        ({"spot": "", "chip": 5}, "Click a spot on the layout."),
        ({"spot": "red", "chip": 1}, "Outside bets need at least 5 chips per spot"),
        ({"spot": "straight:37", "chip": 5}, "37 is not a pocket"),
        ({"spot": "<script>", "chip": 5}, "Unknown bet kind"),
        ({"spot": "red", "chip": "x"}, "Choose one of the chip values"),
    ],
)
def test_bad_bets_re_render_with_the_reason_and_change_nothing(table, data, reason):
    response = table.place(**data)
    assert response.status_code == 400
    html = response.content.decode()
    assert reason in html
    assert "Nothing was changed" in html
    assert "<script>" not in html.split('id="main"')[1].split("</main>")[0]
    assert table.wallet().bankroll == 1000 and not Bet.objects.exists()


def test_missing_or_bad_version_is_a_form_error(table, client):
    table.get()
    response = client.post("/roulette/bets/", {"spot": "red", "chip": 5})
    assert response.status_code == 400
    assert "That form was incomplete" in response.content.decode()
    response = client.post("/roulette/spin/", {"version": "abc"})
    assert response.status_code == 400
    assert not Bet.objects.exists()


def test_over_the_table_limit_is_refused_with_a_form_error(table):
    for _ in range(4):
        assert table.place("straight:7", chip=25).status_code == 302
    response = table.place("straight:7", chip=25)
    assert response.status_code == 400
    assert "Inside bets are limited to 100 chips per spot" in response.content.decode()
    assert table.wallet().bankroll == 900


def test_double_submitted_bet_is_placed_once(table):
    table.get()
    first = table.place("red", chip=25, fresh=False)
    replay = table.place("red", chip=25, fresh=False)
    assert first.status_code == replay.status_code == 302
    assert "already done" in flashes(replay)[-1]
    assert Bet.objects.count() == 1 and table.wallet().bankroll == 975


def test_double_submitted_spin_settles_once(table, fixed_wheel):
    fixed_wheel(1, 2)
    table.place("straight:1", chip=5)
    table.get()
    first = table.post("/roulette/spin/", fresh=False)
    replay = table.post("/roulette/spin/", fresh=False)
    assert first.status_code == replay.status_code == 302
    assert flashes(first) == ["The ball lands on 1 red. You win 175 chips."]
    assert "already done" in flashes(replay)[-1]
    assert Spin.objects.count() == 1
    assert table.wallet().bankroll == 1000 + 175


def test_spin_shows_the_result_panel(table, fixed_wheel):
    fixed_wheel("00")
    table.place("straight:00", chip=1)
    table.place("red", chip=5)
    response = table.post("/roulette/spin/")
    assert flashes(response) == ["The ball lands on 00 green. You win 30 chips."]
    html = table.get()
    assert 'data-testid="winning-pocket">00<' in html
    assert "Won +35" in html and "Lost \u22125" in html
    assert 'data-testid="spin-net">Net +30<' in html
    assert 'data-testid="bankroll">1030<' in html
    assert re.search(r'class="rl-ball rl-green"><span class="visually-hidden">', html)


def test_actions_undo_clear_rebet_double(table, fixed_wheel):
    fixed_wheel(4)
    table.place("straight:17", chip=5)
    table.place("red", chip=25)
    response = table.post("/roulette/bets/undo/")
    assert flashes(response) == ["Took back 25 on Red."]
    table.post("/roulette/bets/double/")
    assert table.wallet().bankroll == 990
    assert flashes(table.post("/roulette/bets/clear/")) == [
        "Table cleared: 10 chips back in your bankroll."
    ]
    table.place("dozen:1", chip=25)
    table.post("/roulette/spin/")  # 4 is in the first dozen: +50
    assert table.wallet().bankroll == 1050
    assert flashes(table.post("/roulette/bets/rebet/")) == ["Rebet: 1 bet, 25 chips."]
    assert flashes(table.post("/roulette/bets/double/")) == [
        "Doubled: 25 more chips on the table."
    ]
    assert table.wallet().bankroll == 1000


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/roulette/bets/undo/", "no bet on the table to undo"),
        ("/roulette/bets/clear/", "already clear"),
        ("/roulette/bets/rebet/", "no previous round"),
        ("/roulette/bets/double/", "no bets on the table to double"),
        ("/roulette/spin/", "Place a bet before spinning"),
        ("/roulette/reset/", "only when you cannot cover a minimum bet"),
    ],
)
def test_refused_actions_re_render_with_the_reason(table, path, reason):
    response = table.post(path)
    assert response.status_code == 400
    assert reason in response.content.decode()
    assert table.wallet().version == 0


def test_reset_when_bankrupt(table, settings, fixed_wheel):
    settings.ROULETTE_STARTING_BANKROLL = 5
    fixed_wheel(2)
    table.place("red", chip=5)
    table.post("/roulette/spin/")
    html = table.get()
    assert "You are out of chips." in html
    response = table.post("/roulette/reset/")
    assert flashes(response) == ["Fresh start: 5 chips."]
    assert table.wallet().resets == 1


def test_wheel_type_choice(table):
    response = table.post("/roulette/wheel-type/", {"wheel": "european"})
    assert response.status_code == 302
    html = table.get()
    assert "European (single 0)" in html
    assert 'value="straight:00"' not in html and 'value="first_four:0-1-2-3"' in html
    response = table.place("straight:00", chip=5)
    assert response.status_code == 400
    bad = table.post("/roulette/wheel-type/", {"wheel": "french"})
    assert bad.status_code == 400 and table.wallet().wheel == "european"


def test_get_on_an_action_is_405(client):
    assert client.get("/roulette/spin/").status_code == 405
    assert client.get("/roulette/bets/").status_code == 405


def test_post_without_csrf_is_refused(db):
    client = Client(enforce_csrf_checks=True)
    client.get("/roulette/")
    response = client.post("/roulette/bets/", {"spot": "red", "chip": 5, "version": 0})
    assert response.status_code == 403
    assert not Bet.objects.exists()


def test_every_form_of_the_table_posts_the_csrf_token_and_the_version(db):
    client = Client(enforce_csrf_checks=True)
    html = client.get("/roulette/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1]
    forms = re.findall(r"<form method=\"post\".*?</form>", html, flags=re.S)
    assert len(forms) == 7  # the layout, five actions, the wheel
    for form in forms:
        assert f'name="csrfmiddlewaretoken" value="{token}"' in form
        assert '<input type="hidden" name="version" value="0">' in form
    response = client.post(
        "/roulette/bets/",
        {"spot": "red", "chip": 5, "version": 0, "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302


def test_a_first_post_opens_the_wallet(db):
    """A first action opens the wallet with version 0 (the version the table page
    shows a visitor without one), and the action runs on it."""
    client = Client()
    response = client.post("/roulette/bets/", {"spot": "red", "chip": 5, "version": 0})
    assert response.status_code == 302
    wallet = Wallet.objects.get(visitor_id=client_visitor_id(client))
    assert wallet.bankroll == 995 and wallet.version == 1
    # Refused on a new session: the wallet is opened all the same, unchanged.
    other = Client()
    response = other.post("/roulette/bets/", {"spot": "bogus", "chip": 5, "version": 0})
    assert response.status_code == 400
    wallet = Wallet.objects.get(visitor_id=client_visitor_id(other))
    assert wallet.bankroll == 1000 and wallet.version == 0


def test_each_visitor_has_their_own_bankroll(db):
    ann, bob = Client(), Client()
    ann.post("/roulette/bets/", {"spot": "black", "chip": 5, "version": 0})
    bob.post("/roulette/bets/", {"spot": "red", "chip": 25, "version": 0})
    assert Wallet.objects.count() == 2
    ann_wallet = Wallet.objects.get(visitor_id=client_visitor_id(ann))
    bob_wallet = Wallet.objects.get(visitor_id=client_visitor_id(bob))
    assert (ann_wallet.bankroll, bob_wallet.bankroll) == (995, 975)


def test_the_table_page_opens_no_wallet_and_no_session(db):
    """A look at the table shows a fresh bankroll without storing anything."""
    client = Client()
    html = client.get("/roulette/").content.decode()
    assert "1000" in html and not Wallet.objects.exists()
    assert "sessionid" not in client.cookies


def test_hot_and_cold_numbers_come_with_the_independence_note(table, fixed_wheel):
    fixed_wheel(7)
    for _ in range(HOT_COLD_MINIMUM - 1):
        services.wheel_spin(wheel_name="american")
    assert "Every spin is independent" not in table.get()  # too few spins to say
    table.place("straight:7", chip=1)
    table.post("/roulette/spin/")
    html = table.get()
    assert "Every spin is independent" in html
    assert f'title="{HOT_COLD_MINIMUM} times">7<small>' in html
    # The recent-results strip is this session's own spins only.
    assert html.count('<li class="rl-ball rl-red"><span class="visually-hidden">') == 1


def test_wheel_service_page_counts_and_spins(client):
    response = client.get("/roulette/wheel/")
    assert response.status_code == 200
    assert 'data-testid="spins-served">Served <strong>0</strong> spins' in (
        response.content.decode()
    )
    response = client.post("/roulette/wheel/", {"wheel": "european"})
    assert response.status_code == 302
    assert flashes(response)[0].startswith("The european wheel served")
    html = client.get("/roulette/wheel/").content.decode()
    assert "Served <strong>1</strong> spin." in html
    assert client.post("/roulette/wheel/", {"wheel": "x"}).status_code == 400
    assert Spin.objects.count() == 1
    assert home_stats() == {"spins_served": 1}


def test_home_page_card_shows_spins_served(client):
    client.post("/roulette/wheel/", {"wheel": "american"})
    assert "1 spin served" in client.get("/").content.decode()


def test_simulator_draws_a_chart(client):
    query = (
        "strategy=martingale&wheel=american&proposition=red&base=10&table_max=500"
        "&budget=1000&spins=300&runs=200&seed=42"
    )
    response = client.get(f"/roulette/simulator/?{query}")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('<polyline class="curve') == 40  # a sample, to stay small
    assert '<polyline class="mean"' in html
    assert "Ruin rate" in html and "Expected loss from the house edge (5.26%)" in html
    assert len(response.content) < 100_000
    again = client.get(f"/roulette/simulator/?{query}").content.decode()
    assert re.findall(r"<dd>[^<]*</dd>", html) == re.findall(r"<dd>[^<]*</dd>", again)


def test_simulator_defaults_run_on_first_visit(client):
    response = client.get("/roulette/simulator/")
    assert response.status_code == 200 and "<svg" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("runs=201", "less than or equal to 200"),
        ("spins=1001", "less than or equal to 1000"),
        ("base=50&table_max=10", "at least the base"),
        ("strategy=labouchere", "Select a valid choice"),
        ("base=abc", "Enter a whole number"),
    ],
)
def test_simulator_rejects_bad_parameters(client, query, reason):
    base = {
        "strategy": "flat",
        "wheel": "european",
        "proposition": "red",
        "base": "10",
        "table_max": "500",
        "budget": "1000",
        "spins": "10",
        "runs": "5",
    }
    for pair in query.split("&"):
        key, value = pair.split("=")
        base[key] = value
    response = client.get("/roulette/simulator/", base)
    assert response.status_code == 400
    assert reason in response.content.decode()


def test_admin_pages_list_wallets_bets_and_spins(table, fixed_wheel):
    fixed_wheel(3)
    table.place("red", chip=5)
    table.post("/roulette/spin/")
    table.place("straight:3", chip=5)
    admin = get_user_model().objects.create_superuser("boss", "b@example.com", "pw")
    client = Client()
    client.force_login(admin)
    for path in ("wallet", "bet", "spin"):
        response = client.get(f"/admin/roulette/{path}/")
        assert response.status_code == 200, path
    wallet = table.wallet()
    assert client.get(f"/admin/roulette/wallet/{wallet.pk}/change/").status_code == 200
    response = client.post(
        "/admin/roulette/wallet/",
        {"action": "reset_bankroll", "_selected_action": [wallet.pk]},
    )
    assert response.status_code == 302
    wallet.refresh_from_db()
    assert wallet.bankroll == 1000 and wallet.resets == 1
    assert not Bet.objects.filter(status=BetStatus.OPEN).exists()


# --- performance guards ---------------------------------------------------------

# Wallet, recent spins, open bets with the last spin's bets (one query), hot/cold
# window. The session is one query more where it lives in the database only (the
# scaled mode, ADR 0009); the embedded mode reads it from the process's cache.
SESSION_QUERIES = 0 if settings.SESSION_ENGINE.endswith("cached_db") else 1
TABLE_GET_QUERIES = 4 + SESSION_QUERIES
# In one transaction: begin, the locked wallet (read once, by visitor id), the
# spot's total, insert, update, commit.
BET_POST_QUERIES = 6 + SESSION_QUERIES


def _busy_table(table, fixed_wheel):
    """A table with many placements on it and a settled spin with many bets."""
    fixed_wheel(17)
    spots = ["red", "straight:17", "split:17-20", "corner:1-2-4-5", "dozen:2"]
    for index in range(20):
        table.place(spots[index % len(spots)], chip=5)
    table.post("/roulette/spin/")
    for index in range(20):
        table.place(spots[index % len(spots)], chip=5)
    for _ in range(HOT_COLD_MINIMUM):
        services.wheel_spin(wheel_name="american")
    html = table.get()
    assert "Every spin is independent" in html and "Last spin" in html
    return html


def test_table_get_query_count_does_not_grow_with_bets(
    table, fixed_wheel, django_assert_max_num_queries
):
    _busy_table(table, fixed_wheel)
    with django_assert_max_num_queries(TABLE_GET_QUERIES):
        response = table.client.get("/roulette/")
    assert response.status_code == 200


def test_bet_post_query_count_does_not_grow_with_bets(
    table, fixed_wheel, django_assert_max_num_queries
):
    _busy_table(table, fixed_wheel)
    version = table.version
    with django_assert_max_num_queries(BET_POST_QUERIES):
        response = table.client.post(
            "/roulette/bets/", {"spot": "straight:5", "chip": 5, "version": version}
        )
    assert response.status_code == 302


def test_layout_shows_the_visitors_chips_and_the_winning_number(table, fixed_wheel):
    """On both wheels the layout carries this visitor's chips and marks the last win."""
    _busy_table(table, fixed_wheel)
    table.place("straight:00", chip=1)
    for wheel_name in ("american", "european"):
        wallet = table.wallet()
        wallet.wheel = wheel_name  # layout only: the open bets fit both wheels
        state = selectors.table_state(wallet=wallet)
        assert state.on_spot and state.last_spin is not None
        html = render_to_string("roulette/table.html", {"state": state})
        assert f'class="rl-layout rl-{wheel_name}"' in html
        assert " rl-win" in html and "has-stake" in html
        assert html.count(" rl-win") == 1  # 17, the fixed wheel's pocket
        assert 'value="straight:17" class="rl-num rl-black has-stake"' in html
        assert ('value="straight:00"' in html) is (wheel_name == "american")
