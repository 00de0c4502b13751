#!/usr/bin/env bash
# Load benchmark of the HTTP front (issue 8): `pipeline-worker serve` (release build, SQLite
# queue, no worker: jobs stay queued) under 200 keep-alive clients polling one job's status and
# 20 clients submitting DSM jobs on the bundled synthetic pair, both for DURATION seconds (default
# 60), with wrk (Debian) on the same 2-core machine. Two phases:
#   paced:     each poller waits POLL_MS (100) between polls, each submitter SUBMIT_MS (500):
#              2000 polls/s and 40 submissions/s offered, as many real clients would;
#   saturated: no waits, every connection sends its next request as soon as it has an answer
#              (the latency then mostly measures the queueing of 220 connections on 2 cores).
# Prints wrk's latency distributions and errors; the target is p99 < 50 ms for the status polls
# with no error (checked on the paced phase). The server runs under /usr/bin/time: its wall, CPU
# (user + sys) and peak RSS over the whole run are reported. Builds in SCRATCH_PATH (default
# .build); prints everything and writes wrk's outputs and the server's measures to
# $RESULTS/http-load.md (RESULTS default Benchmarks/results; conventions in Benchmarks/README.md;
# results/http.md holds the commented runs).
#   Benchmarks/http-load.sh [DURATION]          SCRATCH_PATH=.build-x to use another build folder
#   POLL_MS=1000 SATURATE=0 Benchmarks/http-load.sh     one poll a second per client, paced phase only
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/measure.sh
. "$(dirname "$0")/lib/measure.sh"
cd "$BENCH_ROOT"
OUT="$RESULTS/http-load.md"
DURATION=${1:-60}
command -v wrk >/dev/null || apt-get install -y wrk
command -v curl >/dev/null || apt-get install -y curl
SCRATCH=${SCRATCH_PATH:-.build}
"$SWIFT" build -c release --product pipeline-worker --scratch-path "$SCRATCH" >&2
BIN=$SCRATCH/release/pipeline-worker
W=$(mktemp -d)
SERVER=
# SERVER is /usr/bin/time's process: the signal goes to its child, the server, and time then writes.
stop_server() {
    [ -n "$SERVER" ] || return 0
    pkill -TERM -P "$SERVER" 2>/dev/null || true
    wait "$SERVER" 2>/dev/null || true
    SERVER=
}
cleanup() { stop_server; wait 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT
mkdir -p "$W/catalogue/synthetic-pair" "$W/out" "$W/queue"
cp testdata/stereo_left.tif testdata/stereo_right.tif "$W/catalogue/synthetic-pair/"
$BIN entities add --queue "$W/queue" bench --quota 1000000000
POLLER=$($BIN users add --queue "$W/queue" poller --entity bench)
SUBMITTER=$($BIN users add --queue "$W/queue" submitter --entity bench)
# Rate limit out of the way: 220 connections share two tokens.
LOAD=$(machine_note)
/usr/bin/time -f "%e %U %S %M" -o "$W/serve.time" "$BIN" serve --queue "$W/queue" --catalogue-root "$W/catalogue" --output-root "$W/out" --port 0 \
    --rate-limit 100000000 --log-level warning > "$W/serve.out" 2> "$W/serve.err" &
SERVER=$!
for _ in $(seq 100); do grep -q "listening on" "$W/serve.out" && break; sleep 0.1; done
URL=$(sed -n 's/^listening on //p' "$W/serve.out")
[ -n "$URL" ] || { cat "$W/serve.err"; exit 1; }
BODY='{"inputs":{"pair":"synthetic-pair","height":340,"heightMargin":40,"roi":[64,64,128,128]}}'
JOB=$(curl -sf -H "Authorization: Bearer $POLLER" -H 'Content-Type: application/json' -X POST "$URL/processes/dsm/execution" -d "$BODY" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["jobID"])')
POLL_MS=${POLL_MS:-100}
SUBMIT_MS=${SUBMIT_MS:-500}
run_phase() {  # NAME POLL_DELAY_MS SUBMIT_DELAY_MS
    cat > "$W/submit.lua" <<LUA
wrk.method = "POST"
wrk.body = '$BODY'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $SUBMITTER"
function delay() return $3 end
LUA
    cat > "$W/poll.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $POLLER"
function delay() return $2 end
LUA
    echo "== $1 phase: 200 clients polling GET /jobs/$JOB (every $2 ms), 20 submitting (every $3 ms), ${DURATION}s"
    wrk -t1 -c20 -d"${DURATION}s" --latency -s "$W/submit.lua" "$URL/processes/dsm/execution" > "$W/submit-$1.txt" &
    local submit=$!
    wrk -t1 -c200 -d"${DURATION}s" --latency -s "$W/poll.lua" "$URL/jobs/$JOB" > "$W/poll-$1.txt"
    wait $submit
    echo "-- status polls"; cat "$W/poll-$1.txt"
    echo "-- submissions"; cat "$W/submit-$1.txt"
}
run_phase paced "$POLL_MS" "$SUBMIT_MS"
[ "${SATURATE:-1}" = 0 ] || run_phase saturated 0 0
QUEUED=$(curl -sf -H "Authorization: Bearer $SUBMITTER" "$URL/quota" | python3 -c 'import json,sys; print(json.load(sys.stdin)["jobsInFlight"])')
echo "jobs queued in all (reserved in the quota): $QUEUED"
stop_server
SERVE_MEASURES=$(tail -n 1 "$W/serve.time" | awk '{ printf "wall %.1f s, CPU %.1f s (user + sys), peak RSS %.0f MiB", $1, $2 + $3, $4 / 1024 }')
echo "server: $SERVE_MEASURES"
{
    echo "# HTTP front load (\`Benchmarks/http-load.sh\`)"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M') UTC, $LOAD at the start. ${DURATION} s per phase; 200 connections poll"
    echo "GET /jobs/$JOB (paced: every $POLL_MS ms), 20 submit DSM jobs (paced: every $SUBMIT_MS ms); jobs queued in all: $QUEUED."
    echo "\`pipeline-worker serve\` (release, SQLite queue, no worker) over the whole run: $SERVE_MEASURES."
    for f in "$W"/poll-*.txt; do
        phase=$(basename "$f" .txt); phase=${phase#poll-}
        echo
        echo "## $phase phase"
        echo
        echo '```'
        echo "-- status polls"; cat "$f"
        echo "-- submissions"; cat "$W/submit-$phase.txt"
        echo '```'
    done
} > "$OUT"
echo "wrote $OUT"
if grep -q -E "Non-2xx|Socket errors" "$W"/poll-*.txt "$W"/submit-*.txt; then echo "ERRORS during the run" >&2; exit 1; fi
