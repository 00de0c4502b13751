#!/usr/bin/env bash
# Fan-out scaling: one autonomous DSM request (no height prior) on a synthetic N x N pair
# (`dsm-run synthetic-scene render`, made here when missing) run through the queue with
# 1, 2, 4... worker processes (`--threads 1` each, `--split-above` a few matching tiles a part).
# Per worker count: wall from the workers' start to `succeeded`, CPU of all workers (user + sys),
# peak RSS of the largest worker, the tile jobs and the sum of their own seconds, the parent's
# layout (preparation) and merge seconds. From these, Benchmarks/README.md's model predicts
# more machines.
#
#   Benchmarks/fanout-scale.sh [WORKERS ...]            (default: 1 2 4)
#   env: SIZE (default 4000), SCENES (default .build-scale), SPLIT (reference pixels a part,
#        default 4 tiles of 1024), QUEUE (postgres://... URL; default: a SQLite folder in a
#        temporary directory), BIN / DSM_BIN (pipeline-worker / dsm-run; default: release builds
#        made here in SCRATCH_PATH), RESULTS, SWIFT (Benchmarks/README.md, Conventions).
# Writes $RESULTS/fanout-scale.md.
set -euo pipefail
# shellcheck source=lib/measure.sh
source "$(dirname "$0")/lib/measure.sh"
cd "$BENCH_ROOT"
SCRATCH_PATH=${SCRATCH_PATH:-.build}
SIZE=${SIZE:-4000}
SCENES=${SCENES:-.build-scale}
SPLIT=${SPLIT:-4194304}
COUNTS=("$@")
[ ${#COUNTS[@]} -gt 0 ] || COUNTS=(1 2 4)
if [ -z "${BIN:-}" ] || [ -z "${DSM_BIN:-}" ]; then
  "$SWIFT" build -c release --scratch-path "$SCRATCH_PATH" --product pipeline-worker
  "$SWIFT" build -c release --scratch-path "$SCRATCH_PATH" --product dsm-run
  BIN=${BIN:-$SCRATCH_PATH/release/pipeline-worker}
  DSM_BIN=${DSM_BIN:-$SCRATCH_PATH/release/dsm-run}
fi
SCENE="$SCENES/s$SIZE"
[ -f "$SCENE/right.tif" ] || "$DSM_BIN" synthetic-scene render --size "$SIZE" "$SCENE" > /dev/null
SCENE=$(cd "$SCENE" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir -p "$RESULTS"
OUT="$RESULTS/fanout-scale.md"

field() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }

# run WORKERS: prints "wall cpu maxrss_mib tiles sum_tile_s merge_s score"
run() {
  local n=$1 out="$T/out-$1" q
  q=${QUEUE:-$T/q-$1}
  mkdir -p "$out"
  local id
  id=$("$BIN" submit dsm "$SCENE/left.tif" "$SCENE/right.tif" --output dsm --queue "$q" \
      --input-root "$SCENE" --output-root "$out" | field 'd["job"]["id"]')
  local start pids=() i state
  start=$(date +%s.%N)
  for i in $(seq "$n"); do
    /usr/bin/time -f "%U %S %M" -o "$T/time-$n-$i" "$BIN" work --queue "$q" --input-root "$SCENE" --output-root "$out" \
      --threads 1 --concurrency 1 --split-above "$SPLIT" --poll 0.05 2>"$T/log-$n-$i" &
    pids+=($!)
  done
  while true; do
    state=$("$BIN" status "$id" --queue "$q" | field 'd["state"]')
    [ "$state" = succeeded ] && break
    if [ "$state" = failed ] || [ "$state" = cancelled ]; then echo "job $state" >&2; tail -20 "$T"/log-"$n"-* >&2; exit 1; fi
    sleep 0.2
  done
  local end; end=$(date +%s.%N)
  for i in "${pids[@]}"; do pkill -TERM -P "$i" || true; done
  wait "${pids[@]}" 2>/dev/null || true
  local cpu rss status tiles sum merge score
  cpu=$(cat "$T"/time-"$n"-* | awk '{ s += $1 + $2 } END { printf "%.1f", s }')
  rss=$(cat "$T"/time-"$n"-* | awk '{ if ($3 > m) m = $3 } END { printf "%.0f", m / 1024 }')
  status=$("$BIN" status "$id" --queue "$q")
  tiles=$(echo "$status" | field 'len(d.get("children", {}).get("tiles", []))')
  sum=$(echo "$status" | field 'round(sum(json.loads(t["result"])["seconds"] for t in d.get("children", {}).get("tiles", []) if t.get("result")), 1)')
  merge=$(echo "$status" | field 'round(json.loads(d["result"]).get("mergeSeconds", 0), 1)')
  score=$("$DSM_BIN" synthetic-scene score --size "$SIZE" "$out/dsm/dsm.tif" | awk '{print "median " $6 " m, NMAD " $8 " m, valid " $4}')
  printf "%.1f %s %s %s %s %s %s\n" "$(echo "$end - $start" | bc)" "$cpu" "$rss" "$tiles" "$sum" "$merge" "$score"
}

{
  echo "# Fan-out scaling (\`Benchmarks/fanout-scale.sh\`)"
  echo
  echo "Synthetic ${SIZE}x${SIZE} pair, no height prior, release build, $(nproc) cores, queue: ${QUEUE:+PostgreSQL}${QUEUE:-SQLite}; each worker"
  echo "\`--threads 1 --concurrency 1\`, parts of at most $SPLIT reference pixels. Load average before: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  echo "| workers | wall s | CPU s (all workers) | largest worker peak RSS MiB | tile jobs | sum of tile jobs' s | merge s | DSM vs truth |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
  for n in "${COUNTS[@]}"; do
    read -r w c r t s m rest < <(run "$n")
    echo "| $n | $w | $c | $r | $t | $s | $m | $rest |"
  done
  echo
  echo "Load average after: $(cut -d' ' -f1-3 /proc/loadavg)."
} | tee "$OUT"
