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
# results/http.md holds the commented runs). A third phase (VSICURL=0 to skip) restarts the
# server with its default rate limits on a queue of its own and has READERS (50) users each read
# a produced DSM COG through GDAL's /vsicurl/ in a loop (`gdalinfo -stats`, token in
# GDAL_HTTP_HEADERS) while wrk polls their jobs with the same tokens (each connection every
# second): the target is zero 429 for the polls (range reads are rate-limited apart from the
# API). Each phase also prints the server's CPU seconds so far, its peak RSS and the load average.
#   Benchmarks/http-load.sh [DURATION]          SCRATCH_PATH=.build-x to use another build folder
#   POLL_MS=1000 SATURATE=0 Benchmarks/http-load.sh     one poll a second per client, paced phase only
#   SKIP_BUILD=1                                        use the release binary already in SCRATCH_PATH
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/measure.sh
. "$(dirname "$0")/lib/measure.sh"
cd "$BENCH_ROOT"
OUT="$RESULTS/http-load.md"
DURATION=${1:-60}
command -v wrk >/dev/null || apt-get install -y wrk
command -v curl >/dev/null || apt-get install -y curl
SCRATCH=${SCRATCH_PATH:-.build}
[ "${SKIP_BUILD:-0}" = 1 ] || "$SWIFT" build -c release --product pipeline-worker --scratch-path "$SCRATCH" >&2
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
cleanup() { stop_server; [ -n "${WORKER:-}" ] && kill "$WORKER" 2>/dev/null; wait 2>/dev/null; rm -rf "$W"; }
start_server() {  # TIME_FILE QUEUE EXTRA ARGS...: the server under /usr/bin/time; sets SERVER and URL
    local time_file=$1 queue=$2
    shift 2
    rm -f "$W/serve.out"
    /usr/bin/time -f "%e %U %S %M" -o "$time_file" "$BIN" serve --queue "$queue" --catalogue-root "$W/catalogue" --output-root "$W/out" \
        --port 0 --log-level warning "$@" > "$W/serve.out" 2> "$W/serve.err" &
    SERVER=$!
    for _ in $(seq 100); do grep -q "listening on" "$W/serve.out" 2>/dev/null && break; sleep 0.1; done
    URL=$(sed -n 's/^listening on //p' "$W/serve.out")
    [ -n "$URL" ] || { cat "$W/serve.err"; exit 1; }
}
# The server's (time's child's) CPU seconds so far, its peak RSS, the load average.
server_stats() {
    local pid ticks
    pid=$(pgrep -P "$SERVER" | head -1)
    ticks=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    echo "server: CPU $(awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN{printf "%.1f", t/hz}') s since start," \
         "peak RSS $(awk '/VmHWM/{printf "%.0f", $2/1024}' "/proc/$pid/status") MiB; load average $(cut -d' ' -f1-3 /proc/loadavg)"
}
trap cleanup EXIT
mkdir -p "$W/catalogue/synthetic-pair" "$W/out" "$W/queue"
cp testdata/stereo_left.tif testdata/stereo_right.tif "$W/catalogue/synthetic-pair/"
$BIN entities add --queue "$W/queue" bench --quota 1000000000
POLLER=$($BIN users add --queue "$W/queue" poller --entity bench)
SUBMITTER=$($BIN users add --queue "$W/queue" submitter --entity bench)
# Rate limit out of the way: 220 connections share two tokens.
LOAD=$(machine_note)
start_server "$W/serve.time" "$W/queue" --rate-limit 100000000
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
    server_stats | tee "$W/stats-$1.txt"
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
        cat "$W/stats-$phase.txt"
        echo '```'
    done
} > "$OUT"
echo "wrote $OUT"
ERRORS=0
if grep -q -E "Non-2xx|Socket errors" "$W"/poll-*.txt "$W"/submit-*.txt; then echo "ERRORS during the run" >&2; ERRORS=1; fi
[ "${VSICURL:-1}" = 1 ] || exit $ERRORS

# Phase 3: READERS users each read their DSM COG through /vsicurl/ while their jobs are polled.
READERS=${READERS:-50}
command -v gdalinfo >/dev/null || apt-get install -y gdal-bin
# A queue of its own: the thousands of jobs queued above would come first.
Q3="$W/queue-vsicurl"
$BIN entities add --queue "$Q3" readers --quota 1000000000
TOKENS=()
for i in $(seq "$READERS"); do TOKENS+=("$($BIN users add --queue "$Q3" "reader$i" --entity readers)"); done
# Default limits: --rate-limit 600 and --file-rate-limit 12000 per token per minute.
start_server "$W/serve-vsicurl.time" "$Q3"
# A job's files are its owner's: each reader submits a DSM job of its own, which a worker
# (stopped before the measure) computes.
$BIN work --queue "$Q3" --input-root "$W/catalogue" --output-root "$W/out" --poll 0.1 --log-level warning 2> "$W/worker.err" &
WORKER=$!
JOBS=()
for i in $(seq "$READERS"); do
    JOBS+=("$(curl -sf -H "Authorization: Bearer ${TOKENS[$((i - 1))]}" -H 'Content-Type: application/json' \
        -X POST "$URL/processes/dsm/execution" -d "$BODY" | python3 -c 'import json,sys; print(json.load(sys.stdin)["jobID"])')")
done
for _ in $(seq 1200); do
    DONE=$(for i in $(seq "$READERS"); do curl -sf -H "Authorization: Bearer ${TOKENS[$((i - 1))]}" "$URL/jobs/${JOBS[$((i - 1))]}" \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])'; done | grep -c successful || true)
    [ "$DONE" = "$READERS" ] && break
    sleep 1
done
kill "$WORKER"; wait "$WORKER" 2>/dev/null || true; WORKER=
[ "$DONE" = "$READERS" ] || { echo "only $DONE of $READERS reader jobs succeeded" >&2; exit 1; }
# The polls above used part of each token's minute: start the phase in a fresh one.
sleep $((61 - $(date +%s) % 60))
{
    echo "tokens = {"; for t in "${TOKENS[@]}"; do echo "  \"$t\","; done; echo "}"
    echo "jobs = {"; for j in "${JOBS[@]}"; do echo "  \"$j\","; done; echo "}"
    cat <<'LUA'
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) n = 0; n429 = 0; nother = 0 end
function delay() return 1000 end
function request()
    n = n + 1
    local k = (n % #tokens) + 1
    return wrk.format("GET", "/jobs/" .. jobs[k], { ["Authorization"] = "Bearer " .. tokens[k] })
end
function response(status, headers, body)
    if status == 429 then n429 = n429 + 1 elseif status ~= 200 then nother = nother + 1 end
end
function done(summary, latency, requests)
    local a, b = 0, 0
    for _, t in ipairs(threads) do a = a + t:get("n429"); b = b + t:get("nother") end
    io.write(string.format("polls answered 429: %d, other non-200: %d\n", a, b))
end
LUA
} > "$W/readers-poll.lua"
reader() {  # I: reads job I's COG in a loop for DURATION s; writes "opens failures 429s"
    local tok=${TOKENS[$(($1 - 1))]} job=${JOBS[$(($1 - 1))]} end=$((SECONDS + DURATION)) ok=0 bad=0
    while [ $SECONDS -lt $end ]; do
        if GDAL_HTTP_HEADERS="Authorization: Bearer $tok" GDAL_PAM_ENABLED=NO CPL_VSIL_CURL_ALLOWED_EXTENSIONS=.tif \
            gdalinfo -stats -nomd "/vsicurl/$URL/jobs/$job/files/dsm.tif" > /dev/null 2>> "$W/reader-$1.err"; then
            ok=$((ok + 1))
        else
            bad=$((bad + 1))
        fi
    done
    echo "$ok $bad $(grep -c 429 "$W/reader-$1.err" || true)" > "$W/reader-$1.count"
}
echo "== vsicurl phase: $READERS users each reading their DSM COG through /vsicurl/ (gdalinfo -stats in a loop)," \
     "their jobs polled once a second each (wrk, same tokens), default rate limits, ${DURATION}s"
SERVE_PID=$(pgrep -P "$SERVER" | head -1)
CPU0=$(awk '{print $14 + $15}' "/proc/$SERVE_PID/stat")
for i in $(seq "$READERS"); do reader "$i" & done
wrk -t1 -c"$READERS" -d"${DURATION}s" --latency -s "$W/readers-poll.lua" "$URL" > "$W/poll-vsicurl.txt"
wait $(jobs -p | grep -v "^$SERVER\$") 2>/dev/null || true
CPU1=$(awk '{print $14 + $15}' "/proc/$SERVE_PID/stat")
{
    echo "-- status polls"; cat "$W/poll-vsicurl.txt"
    cat "$W"/reader-*.count | awk '{o += $1; f += $2; r += $3} END {printf "-- readers: %d opens+reads succeeded, %d failed, %d error lines with 429\n", o, f, r}'
    echo "server: CPU $(awk -v t="$((CPU1 - CPU0))" -v hz="$(getconf CLK_TCK)" 'BEGIN{printf "%.1f", t/hz}') s during the phase"
    server_stats
} | tee "$W/vsicurl.txt"
stop_server
{
    echo
    echo "## vsicurl phase"
    echo
    echo "$READERS users read their DSM COG through /vsicurl/ while wrk polls their jobs with the same tokens, default rate limits."
    echo
    echo '```'
    cat "$W/vsicurl.txt"
    echo '```'
} >> "$OUT"
grep -q "polls answered 429: 0," "$W/poll-vsicurl.txt" || { echo "POLLS REFUSED (429) during the vsicurl phase" >&2; exit 1; }
exit $ERRORS

