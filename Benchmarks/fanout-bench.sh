#!/usr/bin/env bash
# Fan-out benchmark: one Réunion DSM request run as one job (1 worker, --threads 2) against the
# same request split into tile jobs over 2 worker processes (--threads 1 each), SQLite queue.
# Wall time from the workers' start to the job's end, CPU seconds of the workers (user + sys, summed)
# and the largest worker's peak RSS (/usr/bin/time), the merge's own seconds, and whether the two
# DSMs are the same bytes. Builds pipeline-worker in SCRATCH_PATH (default .build); prints the
# table and writes it to $RESULTS/fanout-bench.md (RESULTS default Benchmarks/results; conventions
# in Benchmarks/README.md; results/fanout.md holds the commented runs).
#
#   RELIEF_SAMPLE_DATA=/work/shared/data Benchmarks/fanout-bench.sh
#   ROI=0,0,1024,1024 SPLIT=360000 RUNS=2 SCRATCH_PATH=.build RESULTS=/tmp/fanout Benchmarks/fanout-bench.sh
set -euo pipefail
: "${RELIEF_SAMPLE_DATA:?set RELIEF_SAMPLE_DATA to the sample data folder}"
# shellcheck source-path=SCRIPTDIR source=lib/measure.sh
. "$(dirname "$0")/lib/measure.sh"
cd "$BENCH_ROOT"
SCRATCH=${SCRATCH_PATH:-.build}
OUT="$RESULTS/fanout-bench.md"
ROI=${ROI:-0,0,1024,1024}
TILE=${TILE:-300}
SPLIT=${SPLIT:-360000}   # 4 tiles of 300 x 300: one row of the 4 x 4 tiles per part
RUNS=${RUNS:-2}
"$SWIFT" build -c release -j 2 --scratch-path "$SCRATCH" --product pipeline-worker >/dev/null
W="$SCRATCH/release/pipeline-worker"
PAIR="$RELIEF_SAMPLE_DATA/s2p_reunion_pair/input_pair"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

field() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }

# run NAME WORKERS THREADS SPLIT: prints "wall cpu rss merge tiles"
run() {
    local name=$1 n=$2 threads=$3 split=$4 q="$T/q-$1" out="$T/out-$1"
    mkdir -p "$out"
    "$W" submit dsm "$PAIR/img_01.tif" "$PAIR/img_02.tif" --height 2320 --roi "$ROI" --tile "$TILE" --output dsm \
        --queue "$q" --input-root "$RELIEF_SAMPLE_DATA" --output-root "$out" >/dev/null
    local start pids=() i state
    start=$(date +%s.%N)
    for i in $(seq "$n"); do
        # /usr/bin/time directly (not lib/measure.sh's timed): the workers are stopped below by a
        # signal to time's child, after which time still writes its line.
        /usr/bin/time -f "%U %S %M" -o "$T/time-$name-$i" "$W" work --queue "$q" --input-root "$RELIEF_SAMPLE_DATA" \
            --output-root "$out" --threads "$threads" --split-above "$split" --poll 0.05 2>"$T/log-$name-$i" &
        pids+=($!)
    done
    while true; do
        state=$("$W" status 1 --queue "$q" | field 'd["state"]')
        [ "$state" = succeeded ] && break
        [ "$state" = failed ] || [ "$state" = cancelled ] && { echo "job $state" >&2; cat "$T"/log-"$name"-* >&2; exit 1; }
        sleep 0.1
    done
    local end; end=$(date +%s.%N)
    # SIGTERM to the workers (children of /usr/bin/time, which then writes their CPU times).
    for i in "${pids[@]}"; do pkill -TERM -P "$i" || true; done
    wait "${pids[@]}" 2>/dev/null || true
    # (A worker ended by the signal has "Command terminated by signal 15" above its line.)
    local cpu rss
    read -r cpu rss < <(cat "$T"/time-"$name"-* | awk 'NF == 3 && $1 ~ /^[0-9.]+$/ { s += $1 + $2; if ($3 > m) m = $3 }
        END { printf "%.1f %.0f\n", s, m / 1024 }')
    local status; status=$("$W" status 1 --queue "$q")
    local merge; merge=$(echo "$status" | field 'round(json.loads(d["result"]).get("mergeSeconds", 0), 2)')
    local tiles; tiles=$(echo "$status" | field 'len(d.get("children", {}).get("tiles", []))')
    cp "$out/dsm/dsm.tif" "$T/$name.tif"
    printf "%.1f %s %s %s %s\n" "$(echo "$end - $start" | bc)" "$cpu" "$rss" "$merge" "$tiles"
}

{
echo "# fanout-bench: one DSM request as one job vs fanned out over 2 worker processes"
echo
echo "$(date -u '+%Y-%m-%d %H:%M') UTC, ROI $ROI, tile $TILE, split above $SPLIT px; before: $(machine_note)"
echo
echo "| run | mode | wall (s) | CPU user+sys (s) | peak RSS, largest worker (MiB) | merge (s) | tile jobs | DSM equal to one-job |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
for r in $(seq "$RUNS"); do
    read -r w c rss m t < <(run "one-$r" 1 2 0)
    echo "| $r | one job, 1 worker x 2 threads | $w | $c | $rss | - | 0 | - |"
    read -r w c rss m t < <(run "fan-$r" 2 1 "$SPLIT")
    same=$(cmp -s "$T/one-$r.tif" "$T/fan-$r.tif" && echo "yes (cmp)" || echo "NO")
    echo "| $r | fanned out, 2 workers x 1 thread | $w | $c | $rss | $m | $t | $same |"
done
echo
echo "Load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT"
