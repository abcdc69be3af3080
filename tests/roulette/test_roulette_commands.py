"""`manage.py martingale`: in process and over HTTP against a live daphne."""

import io
import json
import re
import subprocess
import sys
import urllib.request

import pytest
from django.core.management import CommandError, call_command

from roulette.models import Spin, Wallet
from tests.support import ROOT, server_env


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("martingale", *args, stdout=out)
    return out.getvalue()


def figure(output: str, label: str) -> int:
    match = re.search(rf"{label}:? (-?\d+)", output)
    assert match, f"no {label!r} in:\n{output}"
    return int(match.group(1))


@pytest.mark.django_db
def test_local_play_records_real_spins_and_prints_a_summary():
    output = run("--local", "--seed", "3", "--spins", "20", "--budget", "1000")
    wallet = Wallet.objects.get()
    played = figure(output, "Spins played")
    assert played == Spin.objects.filter(wallet=wallet).count() > 0
    assert figure(output, "Final bankroll") == wallet.bankroll
    assert "Expected loss from the house edge (5.26%)" in output
    # Seeded: the same arguments replay the same session.
    again = run("--local", "--seed", "3", "--spins", "20", "--budget", "1000")
    assert output.splitlines()[1:] == again.splitlines()[1:]


@pytest.mark.django_db
def test_local_play_stops_when_the_budget_is_exhausted():
    output = run(
        "--local", "--seed", "1", "--proposition", "straight:17",
        "--base", "10", "--budget", "30", "--spins", "200",
    )  # fmt: skip
    assert "Stopped: budget exhausted" in output
    assert figure(output, "Final bankroll") < 10


@pytest.mark.django_db
def test_stakes_are_capped_at_the_table_maximum():
    output = run(
        "--local", "--seed", "5", "--base", "10", "--table-max", "40",
        "--budget", "100000", "--spins", "120", "-v", "2",
    )  # fmt: skip
    stakes = [int(s) for s in re.findall(r"bet\s+(\d+) ->", output)]
    assert max(stakes) == 40
    assert figure(output, "stake capped by the table maximum") > 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--local", "--base", "1"], "below the table minimum of 5"),
        (["--local", "--base", "50", "--table-max", "10"], "at least --base"),
        (["--local", "--proposition", "purple"], "unknown bet kind"),
        (["--local", "--spins", "0"], "--spins must be at least 1"),
        (["--seed", "1"], "--seed needs --local"),
        (["--url", "http://127.0.0.1:9"], "cannot reach"),
    ],
)
def test_bad_arguments_are_command_errors(args, reason):
    with pytest.raises(CommandError, match=reason):
        run(*args)


def test_martingale_plays_through_the_api_of_a_live_server(daphne_server, tmp_path):
    """The real CLI, as a user runs it, against a real daphne over HTTP."""
    env = server_env(PARLOUR_SQLITE_PATH=str(tmp_path / "unused.sqlite3"))
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "martingale",
            "--url",
            daphne_server.url,
            "--base",
            "10",
            "--table-max",
            "500",
            "--budget",
            "1000",
            "--spins",
            "25",
            "--proposition",
            "red",
        ],  # fmt: skip
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    output = result.stdout
    session_id = re.search(r"betting session ([0-9a-f-]{36})", output).group(1)
    url = f"{daphne_server.url}/roulette/api/sessions/{session_id}/"
    with urllib.request.urlopen(url, timeout=10) as response:
        session = json.loads(response.read())
    assert session["bankroll"] == figure(output, "Final bankroll")
    assert session["on_table"] == 0
    assert session["round"] == figure(output, "Spins played") + 1
