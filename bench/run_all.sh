#!/usr/bin/env bash
# Parlour benchmark suite: Parlour against its two yardsticks, side by side, same run.
#
#   bash bench/run_all.sh            # or: make bench      (RUNS=1 for a quick look)
#
# Two topologies of Parlour, each measured on the same loads (issue 11):
#   embedded: one daphne, SQLite, the in-memory channel layer;
#   scaled:   two daphne processes on PostgreSQL + Redis, the Pub/Sub layer (the one
#             that counts); the loads put clients (chat, ping-pong) and the two seats
#             of every chess game on both processes, HTTP on one of them.
# Yardsticks (127.0.0.1 only, free ports, each PID remembered and stopped on exit):
#   the plain `websockets` server (kept up through the scaled phase: its 500-client
#   chat runs again right before Parlour's there, so each ratio compares two loads of
#   the same minutes); the minimal Channels server (the tutorial) on the in-memory
#   layer and on the Redis core layer, the tutorial's layer.
# Runs every load RUNS times (default 3), then prints the targets (PASS/FAIL per
# topology), medians and ratios (bench/summarize.py). Raw JSON lines, logs and the
# summary go to bench/results/<UTC timestamp>/ (gitignored). About 9 to 12 minutes
# with RUNS=3 on the 2-vCPU machine of docs/performance.md, 4 to 5 with RUNS=1.
#
# If Parlour cannot be migrated or started, its loads are recorded as failed and the
# yardsticks still run: the summary then says what could not be measured.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
PY=${PY:-$ROOT/.venv/bin/python}
RUNS=${RUNS:-3}
PG_URL=${BENCH_PG_URL:-postgresql://postgres@127.0.0.1:5432/parlour_bench}
REDIS=${BENCH_REDIS_URL:-redis://127.0.0.1:6379/0}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=$ROOT/bench/results/$STAMP
RAW=$OUT/raw.jsonl
mkdir -p "$OUT"
STARTED=$(date +%s)

PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.5
        done
        kill -9 "$pid" 2>/dev/null || true
    done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '[%4ss] %s\n' "$(($(date +%s) - STARTED))" "$*"; }

# The bench needs only the dev extra (websockets, psycopg, channels-redis).
if ! "$PY" -c "import websockets, daphne, channels_redis, psycopg" 2>/dev/null; then
    say "installing the dev extra into the venv"
    "$PY" -m pip install --quiet -e "$ROOT[dev]"
fi
# 500 chat clients (plus the servers' own sockets and files) in one process, 1000
# idle sockets: 8192 descriptors is plenty; the servers inherit the limit.
ulimit -n 8192 2>/dev/null || say "could not raise ulimit -n (now $(ulimit -n))"

free_port() {
    "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_ready() { # port pid
    local i
    for i in $(seq 1 150); do
        if ! kill -0 "$2" 2>/dev/null; then
            say "server on port $1 exited early; see $OUT"
            return 1
        fi
        if "$PY" -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$1/healthz', timeout=1)" 2>/dev/null; then
            return 0
        fi
        sleep 0.2
    done
    say "server on port $1 did not come up"
    return 1
}

LAST_PID=
start() { # name port command... (environment set by the caller through `env`)
    local name=$1 port=$2
    shift 2
    "$@" >"$OUT/$name.log" 2>&1 &
    LAST_PID=$!
    PIDS+=("$LAST_PID")
    wait_ready "$port" "$LAST_PID"
}

stop() { # pid...
    local pid
    for pid in "$@"; do
        [ -n "$pid" ] || continue
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
        kill -9 "$pid" 2>/dev/null || true
    done
}

# Parlour exactly as deployed (DEBUG off, static files collected), plus the chat's
# flood limit raised and the rate limits off for load generators (hundreds of
# visitors naming themselves and creating games from one address), and a Redis
# key prefix of its own (all read from the environment by settings.py).
PARLOUR_ENV=(
    env -u DATABASE_URL -u REDIS_URL -u PARLOUR_CHANNEL_LAYER
    DJANGO_DEBUG=0
    DJANGO_SECRET_KEY=bench-only-secret-key-not-for-production-0123456789abcdef
    DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost
    DJANGO_SECURE_SSL_REDIRECT=0
    PARLOUR_SQLITE_PATH="$OUT/parlour.sqlite3"
    CHAT_FLOOD_COUNT=100000
    PARLOUR_RATE_LIMITS_ENABLED=0
    PARLOUR_CHANNEL_PREFIX="bench$STAMP"
    PYTHONUNBUFFERED=1
)
DAPHNE=("$PY" -m daphne -b 127.0.0.1)

RUN=0
emit() { # label json: one line into raw.jsonl, a short line on screen
    printf '{"label": "%s", "run": %s, "result": %s}\n' "$1" "$RUN" "$2" >>"$RAW"
    say "  $1: $(printf '%s' "$2" | cut -c1-140)"
}
record() { # label pids command...: run a load if its servers are up
    local label=$1 pids=$2 line pid
    shift 2
    for pid in ${pids//,/ }; do
        if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
            emit "$label" '{"error": "its server is not running; see the server logs"}'
            return 0
        fi
    done
    [ -n "$pids" ] || {
        emit "$label" '{"error": "its server did not start; see the server logs"}'
        return 0
    }
    line=$(timeout 240 "$@" 2>>"$OUT/load.log" | tail -n 1) || true
    case "$line" in
    "{"*) ;;
    *) line='{"error": "the load run failed; see load.log"}' ;;
    esac
    emit "$label" "$line"
}

WS=("$PY" bench/ws_load.py)
HTTP=("$PY" bench/http_load.py)
# Parlour visitors (a guest name through the name form) are made once per set of
# servers and reused by the later chat and ping-pong loads (distinct people within
# each load); chess makes its players afresh (they create and join games).
VISITORS=(--session-cache "$OUT/visitors.json")

# --- the loads (the exact parameters the summary's headings state) ------------------
# chat, 100 clients: 10 senders, 200 msg/s in all (20,000 deliveries/s offered),
#   60 messages each (3 s, 60,000 deliveries expected).
# chat, 500 clients: 5 senders, 100 msg/s in all (50,000 deliveries/s offered),
#   60 messages each (3 s, 150,000 deliveries expected).
# Both: after the sends, wait until everything arrived or nothing has for 5 s
#   (at most 60 s): what a slow server still delivers is late, not lost.
chat_load() { # label url protocol pids room [clients senders rate]
    record "$1" "$4" "${WS[@]}" chat --url "$2" --protocol "$3" --server-pid "$4" \
        --room "$5" --clients "${6:-100}" --senders "${7:-10}" --rate "${8:-200}" \
        --messages 60 --drain 5 --drain-max 60 "${VISITORS[@]}"
}
chat500_load() { # label url protocol pids room
    chat_load "$1" "$2" "$3" "$4" "$5" 500 5 100
}
# ping-pong: 50 pairs, each in its own room, 4 s (the chess yardstick).
pingpong_load() { # label url protocol pids
    record "$1" "$4" "${WS[@]}" pingpong --url "$2" --protocol "$3" --server-pid "$4" \
        --pairs 50 --round-trips 1000 --duration 4 "${VISITORS[@]}"
}
# chess: 50 games, every move sent as soon as the previous one is confirmed; with
#   two URLs white is on the first process and black on the second.
chess_load() { # label url pids
    record "$1" "$3" "${WS[@]}" chess --url "$2" --games 50 --server-pid "$3" \
        --timeout 15
}
# HTTP: 8 keep-alive connections, 4 s per scenario in 8 interleaved slices.
http_load() { # label url pid
    record "$1" "$3" "${HTTP[@]}" healthz lobby bet --url "$2" --concurrency 8 \
        --duration 4 --server-pid "$3"
}

# --- databases ------------------------------------------------------------------
say "results: $OUT"
say "migrating SQLite and PostgreSQL, collecting static files"
EMBEDDED_OK=1
SCALED_OK=1
if ! "${PARLOUR_ENV[@]}" "$PY" manage.py migrate --noinput -v0 >>"$OUT/setup.log" 2>&1 ||
    ! "${PARLOUR_ENV[@]}" "$PY" manage.py collectstatic --noinput -v0 >>"$OUT/setup.log" 2>&1; then
    say "Parlour could not be migrated or its static files collected; see setup.log"
    EMBEDDED_OK=0
    SCALED_OK=0
fi
if [ "$SCALED_OK" = 1 ] && ! "$PY" - "$PG_URL" >>"$OUT/setup.log" 2>&1 <<'EOF'; then
import sys
from urllib.parse import urlsplit, urlunsplit

import psycopg

url = urlsplit(sys.argv[1])
name = url.path.lstrip("/")
admin = urlunsplit(url._replace(path="/postgres"))
with psycopg.connect(admin, autocommit=True) as conn:
    if not conn.execute("select 1 from pg_database where datname = %s", [name]).fetchone():
        conn.execute(f'create database "{name}"')
EOF
    say "PostgreSQL database not available; see setup.log"
    SCALED_OK=0
fi
if [ "$SCALED_OK" = 1 ] && ! "${PARLOUR_ENV[@]}" DATABASE_URL="$PG_URL" "$PY" manage.py migrate --noinput -v0 >>"$OUT/setup.log" 2>&1; then
    say "Parlour could not be migrated on PostgreSQL; see setup.log"
    SCALED_OK=0
fi

# --- embedded: Parlour, one process, SQLite, in-memory layer; the yardsticks ---------
# (a server that does not start leaves its PID empty: its loads are recorded as failed)
B_PID= W_PID=
B_PORT=$(free_port)
if start baseline "$B_PORT" env -u BENCH_REDIS_URL "${DAPHNE[@]}" -p "$B_PORT" bench.baseline.asgi:application; then
    B_PID=$LAST_PID
fi
W_PORT=$(free_port)
if start plain "$W_PORT" "$PY" bench/baseline/plain_ws.py --port "$W_PORT"; then
    W_PID=$LAST_PID
fi
P_PID=
P_PORT=$(free_port)
if [ "$EMBEDDED_OK" = 1 ]; then
    if start parlour "$P_PORT" "${PARLOUR_ENV[@]}" "${DAPHNE[@]}" -p "$P_PORT" site_config.asgi:application; then
        P_PID=$LAST_PID
    else
        say "Parlour (embedded) did not start; its loads are recorded as failed"
        tail -n 5 "$OUT/parlour.log" | sed 's/^/    /' || true
    fi
fi
P=http://127.0.0.1:$P_PORT B=http://127.0.0.1:$B_PORT W=http://127.0.0.1:$W_PORT
say "embedded: parlour $P (pid ${P_PID:-none}), minimal Channels $B (${B_PID:-none}), plain $W (${W_PID:-none})"

for RUN in $(seq 1 "$RUNS"); do
    say "run $RUN/$RUNS (embedded: one process, in-memory layer)"
    chat_load chat/plain "$W" plain "$W_PID" "bench$RUN"
    chat_load chat/baseline "$B" baseline "$B_PID" "bench$RUN"
    chat_load chat/hub "$B" hub "$B_PID" "bench$RUN"
    chat_load chat/parlour "$P" parlour "$P_PID" "bench-room-$RUN"
    chat500_load chat500/plain "$W" plain "$W_PID" "big$RUN"
    chat500_load chat500/parlour "$P" parlour "$P_PID" "bench-room-500-$RUN"
    pingpong_load pingpong/plain "$W" plain "$W_PID"
    pingpong_load pingpong/baseline "$B" baseline "$B_PID"
    pingpong_load pingpong/parlour "$P" parlour "$P_PID"
    chess_load chess/parlour "$P" "$P_PID"
    http_load http/parlour "$P" "$P_PID"
done

RUN=1
say "memory per idle WebSocket (1000 connections)"
record idle/plain "$W_PID" "${WS[@]}" idle --url "$W" --protocol plain --clients 1000 --server-pid "$W_PID"
record idle/baseline "$B_PID" "${WS[@]}" idle --url "$B" --protocol baseline --clients 1000 --server-pid "$B_PID"
record idle/parlour "$P_PID" "${WS[@]}" idle --url "$P" --protocol parlour --clients 1000 --server-pid "$P_PID" --room idle-room
stop "$P_PID" "$B_PID"

# --- scaled: two Parlour processes, PostgreSQL + Redis Pub/Sub layer -----------------
REDIS_ENV=("${PARLOUR_ENV[@]}" DATABASE_URL="$PG_URL" REDIS_URL="$REDIS"
    PARLOUR_CHANNEL_LAYER=channels_redis.pubsub.RedisPubSubChannelLayer)
R1_PID= R2_PID=
R1_PORT=$(free_port)
R2_PORT=$(free_port)
if [ "$SCALED_OK" = 1 ]; then
    if start parlour-pubsub-1 "$R1_PORT" "${REDIS_ENV[@]}" "${DAPHNE[@]}" -p "$R1_PORT" site_config.asgi:application; then
        R1_PID=$LAST_PID
    fi
    if start parlour-pubsub-2 "$R2_PORT" "${REDIS_ENV[@]}" "${DAPHNE[@]}" -p "$R2_PORT" site_config.asgi:application; then
        R2_PID=$LAST_PID
    fi
    if [ -z "$R1_PID" ] || [ -z "$R2_PID" ]; then
        say "Parlour (scaled) did not start; its loads are recorded as failed"
        stop "$R1_PID" "$R2_PID"
        R1_PID= R2_PID=
    fi
fi
R1=http://127.0.0.1:$R1_PORT
R="$R1,http://127.0.0.1:$R2_PORT"
RP=$R1_PID,$R2_PID
[ -n "$R1_PID" ] || RP=
say "scaled: parlour $R (pids ${RP:-none}), Redis Pub/Sub layer, PostgreSQL"
for RUN in $(seq 1 "$RUNS"); do
    say "run $RUN/$RUNS (scaled: two processes, Redis Pub/Sub layer)"
    chat_load redis-chat/parlour-pubsub-2proc "$R" parlour "$RP" "redis-$STAMP-$RUN"
    # the yardstick again, right before Parlour's 500-client load (same minutes)
    chat500_load chat500/plain-scaled-phase "$W" plain "$W_PID" "bigr$RUN"
    chat500_load redis-chat500/parlour-pubsub-2proc "$R" parlour "$RP" "redis500-$STAMP-$RUN"
    pingpong_load redis-pingpong/parlour-pubsub-2proc "$R" parlour "$RP"
    chess_load redis-chess/parlour-pubsub-2proc "$R" "$RP"
    http_load redis-http/parlour-pubsub-1of2 "$R1" "$R1_PID"
done
stop "$R1_PID" "$R2_PID" "$W_PID"

# --- the minimal Channels server on the Redis core layer (the tutorial's) ------------
BR_PORT=$(free_port)
BR_PID=
if start baseline-redis "$BR_PORT" env BENCH_REDIS_URL="$REDIS" BENCH_LAYER_PREFIX="bench$STAMP" "${DAPHNE[@]}" -p "$BR_PORT" bench.baseline.asgi:application; then
    BR_PID=$LAST_PID
fi
BR=http://127.0.0.1:$BR_PORT
for RUN in $(seq 1 "$RUNS"); do
    say "run $RUN/$RUNS (minimal Channels on the Redis core layer)"
    chat_load redis-chat/baseline-core "$BR" baseline "$BR_PID" "bench$RUN"
    pingpong_load redis-pingpong/baseline-core "$BR" baseline "$BR_PID"
done
stop "$BR_PID"

say "summary"
"$PY" bench/summarize.py "$RAW" | tee "$OUT/summary.md"
cp "$OUT/summary.md" "$ROOT/bench/results/latest.md"
say "done in $(($(date +%s) - STARTED)) s; raw results in $RAW"
