#!/usr/bin/env bash
# Parlour benchmark suite: Parlour against its two yardsticks, side by side, same run.
#
#   bash bench/run_all.sh            # or: make bench      (RUNS=1 for a quick look)
#
# Starts (127.0.0.1 only, free ports, each PID remembered and stopped on exit):
#   in-memory layer: Parlour (daphne, SQLite), the minimal Channels server (daphne,
#   tutorial consumer), the plain `websockets` server;
#   Redis: two Parlour processes on PostgreSQL + Redis (Pub/Sub layer, then the core
#   layer), the minimal Channels server on the Redis core layer.
# Runs every load RUNS times (default 3), then prints medians, ratios and the targets
# (bench/summarize.py). Raw JSON lines, logs and the summary go to
# bench/results/<UTC timestamp>/ (gitignored). Takes about 10 minutes.
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
ulimit -n 8192 2>/dev/null || true

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

stop() { # pid
    kill "$1" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.25; done
    kill -9 "$1" 2>/dev/null || true
}

# Parlour exactly as deployed (DEBUG off, static files collected), plus the chat's
# flood limit raised for load generators and a Redis key prefix of its own (both
# read from the environment by settings.py).
PARLOUR_ENV=(
    env -u DATABASE_URL -u REDIS_URL -u PARLOUR_CHANNEL_LAYER
    DJANGO_DEBUG=0
    DJANGO_SECRET_KEY=bench-only-secret-key-not-for-production-0123456789abcdef
    DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost
    DJANGO_SECURE_SSL_REDIRECT=0
    PARLOUR_SQLITE_PATH="$OUT/parlour.sqlite3"
    CHAT_FLOOD_COUNT=100000
    PARLOUR_CHANNEL_PREFIX="bench$STAMP"
    PYTHONUNBUFFERED=1
)
DAPHNE=("$PY" -m daphne -b 127.0.0.1)

RUN=0
record() { # label command...: one JSON line into raw.jsonl, a short line on screen
    local label=$1 line
    shift
    line=$(timeout 240 "$@" 2>>"$OUT/load.log" | tail -n 1) || true
    case "$line" in
    "{"*) ;;
    *) line='{"error": "the load run failed; see load.log"}' ;;
    esac
    printf '{"label": "%s", "run": %s, "result": %s}\n' "$label" "$RUN" "$line" >>"$RAW"
    say "  $label: $(printf '%s' "$line" | cut -c1-140)"
}

WS=("$PY" bench/ws_load.py)
HTTP=("$PY" bench/http_load.py)

chat_load() { # label url protocol pids [room]
    record "$1" "${WS[@]}" chat --url "$2" --protocol "$3" --server-pid "$4" \
        --room "${5:-bench$RUN}" --clients 100 --senders 10 --rate 200 --messages 60 \
        --drain 5
}
pingpong_load() { # label url protocol pids
    record "$1" "${WS[@]}" pingpong --url "$2" --protocol "$3" --server-pid "$4" \
        --pairs 50 --round-trips 1000 --duration 4
}
echo_load() { # label url protocol pid
    record "$1" "${WS[@]}" echo --url "$2" --protocol "$3" --server-pid "$4" \
        --pairs 10 --round-trips 1000 --duration 3
}

# --- databases ------------------------------------------------------------------
say "results: $OUT"
say "migrating SQLite and PostgreSQL, collecting static files"
"${PARLOUR_ENV[@]}" "$PY" manage.py migrate --noinput -v0
"${PARLOUR_ENV[@]}" "$PY" manage.py collectstatic --noinput -v0
"$PY" - "$PG_URL" <<'EOF'
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
"${PARLOUR_ENV[@]}" DATABASE_URL="$PG_URL" "$PY" manage.py migrate --noinput -v0

# --- in-memory layer: one process each -------------------------------------------
P_PORT=$(free_port)
start parlour "$P_PORT" "${PARLOUR_ENV[@]}" "${DAPHNE[@]}" -p "$P_PORT" site_config.asgi:application
P_PID=$LAST_PID
B_PORT=$(free_port)
start baseline "$B_PORT" env -u BENCH_REDIS_URL "${DAPHNE[@]}" -p "$B_PORT" bench.baseline.asgi:application
B_PID=$LAST_PID
W_PORT=$(free_port)
start plain "$W_PORT" "$PY" bench/baseline/plain_ws.py --port "$W_PORT"
W_PID=$LAST_PID
P=http://127.0.0.1:$P_PORT B=http://127.0.0.1:$B_PORT W=http://127.0.0.1:$W_PORT
say "in-memory layer: parlour $P (pid $P_PID), minimal Channels $B ($B_PID), plain $W ($W_PID)"

for RUN in $(seq 1 "$RUNS"); do
    say "run $RUN/$RUNS (in-memory layer)"
    chat_load chat/plain "$W" plain "$W_PID"
    chat_load chat/baseline "$B" baseline "$B_PID"
    chat_load chat/hub "$B" hub "$B_PID"
    chat_load chat/parlour "$P" parlour "$P_PID" "bench-room-$RUN"
    pingpong_load pingpong/plain "$W" plain "$W_PID"
    pingpong_load pingpong/baseline "$B" baseline "$B_PID"
    pingpong_load pingpong/parlour "$P" parlour "$P_PID"
    echo_load echo/plain "$W" plain "$W_PID"
    echo_load echo/baseline "$B" baseline "$B_PID"
    echo_load echo/parlour "$P" parlour "$P_PID"
    record chess/parlour "${WS[@]}" chess --url "$P" --games 50 --server-pid "$P_PID" \
        --timeout 15
    record http/parlour "${HTTP[@]}" healthz lobby bet --url "$P" --concurrency 8 \
        --duration 4 --server-pid "$P_PID"
done

RUN=1
say "memory per idle WebSocket (1000 connections)"
record idle/plain "${WS[@]}" idle --url "$W" --protocol plain --clients 1000 --server-pid "$W_PID"
record idle/baseline "${WS[@]}" idle --url "$B" --protocol baseline --clients 1000 --server-pid "$B_PID"
record idle/parlour "${WS[@]}" idle --url "$P" --protocol parlour --clients 1000 --server-pid "$P_PID" --room idle-room
stop "$P_PID"
stop "$B_PID"
stop "$W_PID"

# --- Redis: two Parlour processes on PostgreSQL; the tutorial on the core layer ----
REDIS_ENV=("${PARLOUR_ENV[@]}" DATABASE_URL="$PG_URL" REDIS_URL="$REDIS")
for LAYER in pubsub core; do
    if [ "$LAYER" = core ]; then
        LAYER_ENV=(PARLOUR_CHANNEL_LAYER=channels_redis.core.RedisChannelLayer)
    else
        LAYER_ENV=(PARLOUR_CHANNEL_LAYER=channels_redis.pubsub.RedisPubSubChannelLayer)
    fi
    R1_PORT=$(free_port)
    start "parlour-$LAYER-1" "$R1_PORT" "${REDIS_ENV[@]}" "${LAYER_ENV[@]}" "${DAPHNE[@]}" -p "$R1_PORT" site_config.asgi:application
    R1_PID=$LAST_PID
    R2_PORT=$(free_port)
    start "parlour-$LAYER-2" "$R2_PORT" "${REDIS_ENV[@]}" "${LAYER_ENV[@]}" "${DAPHNE[@]}" -p "$R2_PORT" site_config.asgi:application
    R2_PID=$LAST_PID
    R="http://127.0.0.1:$R1_PORT,http://127.0.0.1:$R2_PORT"
    say "Redis $LAYER layer: parlour $R (pids $R1_PID, $R2_PID)"
    for RUN in $(seq 1 "$RUNS"); do
        say "run $RUN/$RUNS (Redis $LAYER layer, two processes)"
        chat_load "redis-chat/parlour-$LAYER-2proc" "$R" parlour "$R1_PID,$R2_PID" "redis-$LAYER-$STAMP-$RUN"
        pingpong_load "redis-pingpong/parlour-$LAYER-2proc" "$R" parlour "$R1_PID,$R2_PID"
    done
    stop "$R1_PID"
    stop "$R2_PID"
done

BR_PORT=$(free_port)
start baseline-redis "$BR_PORT" env BENCH_REDIS_URL="$REDIS" BENCH_LAYER_PREFIX="bench$STAMP" "${DAPHNE[@]}" -p "$BR_PORT" bench.baseline.asgi:application
BR_PID=$LAST_PID
BR=http://127.0.0.1:$BR_PORT
for RUN in $(seq 1 "$RUNS"); do
    say "run $RUN/$RUNS (minimal Channels on the Redis core layer)"
    chat_load redis-chat/baseline-core "$BR" baseline "$BR_PID"
    pingpong_load redis-pingpong/baseline-core "$BR" baseline "$BR_PID"
done
stop "$BR_PID"

say "summary"
"$PY" bench/summarize.py "$RAW" | tee "$OUT/summary.md"
cp "$OUT/summary.md" "$ROOT/bench/results/latest.md"
say "done in $(($(date +%s) - STARTED)) s; raw results in $RAW"
