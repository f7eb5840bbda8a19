#!/usr/bin/env bash
# The `vivarium dev` loop: the time from saving a guest's source to the first
# response of the new code, as a user sees it (curl against 127.0.0.1).
#
#   bash bench/dev-loop.sh [wat|c] [rounds]     default: wat 5
#
# Needs the CLI jar (mvn -B -q -pl cli -am package -DskipTests) and, for c,
# clang-14 with wasi-libc. Writes a project in a temporary directory, starts
# `bin/vivarium dev` on a free port, then per round replaces one 5-letter word
# of the greeting, saves, and polls with curl (every ~10 ms) until the new
# body comes back. Stops the dev server it started and removes the directory.
set -euo pipefail
LANG_="${1:-wat}"
ROUNDS="${2:-5}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TMP="$(mktemp -d)"
DEV_PID=""
cleanup() {
    [[ -n $DEV_PID ]] && kill "$DEV_PID" 2>/dev/null && wait "$DEV_PID" 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT

case "$LANG_" in
    wat) SRC=src/main.wat ;;
    c) SRC=src/main.c ;;
    *) echo "usage: $0 [wat|c] [rounds]" >&2; exit 2 ;;
esac
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"

"$ROOT/bin/vivarium" -C "$TMP" new loop --lang "$LANG_" >/dev/null
"$ROOT/bin/vivarium" -C "$TMP/loop" dev --port "$PORT" >"$TMP/dev.log" 2>&1 &
DEV_PID=$!
URL="http://127.0.0.1:$PORT/loop/"
for _ in $(seq 1 600); do
    curl -fs "$URL" 2>/dev/null | grep -q Hello && break
    sleep 0.1
done
curl -fs "$URL" | grep -q Hello || { cat "$TMP/dev.log"; echo "dev server did not answer" >&2; exit 1; }

WORDS=(Howdy Hallo Hullo Heyyo Hiyaa Hejjo Holaa Haloo Hiiii Heeey)
PREV=Hello
TIMES=()
for i in $(seq 1 "$ROUNDS"); do
    NEXT="${WORDS[$(( (i - 1) % ${#WORDS[@]} ))]}"
    sed -i "s/$PREV from/$NEXT from/" "$TMP/loop/$SRC"
    START=$(date +%s%N)
    for _ in $(seq 1 3000); do
        curl -s "$URL" | grep -q "^$NEXT from" && break
        sleep 0.01
    done
    END=$(date +%s%N)
    curl -s "$URL" | grep -q "^$NEXT from" || { cat "$TMP/dev.log"; echo "round $i: new code not served" >&2; exit 1; }
    MS=$(( (END - START) / 1000000 ))
    TIMES+=("$MS")
    echo "round $i: save -> first new response ${MS} ms"
    PREV="$NEXT"
    sleep 0.5
done
SORTED=($(printf '%s\n' "${TIMES[@]}" | sort -n))
echo "$LANG_: median $(( SORTED[${#SORTED[@]} / 2] )) ms, max ${SORTED[-1]} ms over $ROUNDS saves"
grep -E '^reloaded' "$TMP/dev.log" || true
