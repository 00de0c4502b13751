#!/usr/bin/env bash
# Peak memory of `dsm-run dsm` against the ROI size, out of core (default: each tile's points
# spilled to disk, rasterised per output tile) and with every point kept in memory until the
# rasterisation (`--in-memory-points`, the path before the out-of-core change). Réunion pair,
# ROIs centred on the image from 256x256 to the whole 1024x1024 image, --height 2320, 2 threads,
# release build (SCRATCH_PATH, default .build-e2e), each run under /usr/bin/time (peak RSS, wall,
# CPU user + sys). Also checks that both paths give the same DSM file (cmp). Writes
# $RESULTS/dsm-memory.tmp (RESULTS default Benchmarks/results; conventions in Benchmarks/README.md;
# a markdown table, copied by hand into results/dsm-triplet-memory.md).
#   RELIEF_SAMPLE_DATA=/work/shared/data [DSM_MEMORY_ARGS="--tile 128 --threads 1"] [RESULTS=DIR] Benchmarks/dsm-memory.sh [SIDE ...]
# (DSM_MEMORY_ARGS: extra dsm-run options, after the defaults; smaller matching tiles make the
# points' share of the peak visible.)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/measure.sh
. "$(dirname "$0")/lib/measure.sh"
cd "$BENCH_ROOT"
DATA="${RELIEF_SAMPLE_DATA:?set RELIEF_SAMPLE_DATA to the sample data folder}"
SCRATCH="${SCRATCH_PATH:-.build-e2e}"
PAIR="$DATA/s2p_reunion_pair/input_pair"
SIDES=("$@")
read -r -a EXTRA <<< "${DSM_MEMORY_ARGS:-}"
[ ${#SIDES[@]} -gt 0 ] || SIDES=(256 512 700 1024)

"$SWIFT" build -c release --scratch-path "$SCRATCH" --product dsm-run
BIN="$SCRATCH/release/dsm-run"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
OUT="$RESULTS/dsm-memory.tmp"
{
  echo "$(date -u '+%Y-%m-%d %H:%M') UTC, $(machine_note) at the start; dsm-run dsm --height 2320 --threads 2 ${EXTRA[*]}"
  echo
  echo "| ROI | points | out of core: peak RSS, model, wall, CPU | in memory: peak RSS, model, wall, CPU | same DSM file |"
  echo "| --- | --- | --- | --- | --- |"
} > "$OUT"
for side in "${SIDES[@]}"; do
  off=$(( (1024 - side) / 2 ))
  row="| ${side}x${side} at ${off},${off} |"
  for mode in spill memory; do
    flag=(); [ "$mode" = memory ] && flag=(--in-memory-points)
    timed "$TMP/$mode.measures" "$BIN" dsm "$PAIR/img_01.tif" "$PAIR/img_02.tif" -o "$TMP/$mode.tif" --roi "$off,$off,$side,$side" \
        --height 2320 --threads 2 "${flag[@]}" "${EXTRA[@]}" > "$TMP/$mode.txt"
    read -r wall cpu rss < "$TMP/$mode.measures"
    model=$(grep -o 'peak about [0-9]* MiB' "$TMP/$mode.txt" | grep -o '[0-9]*' || echo '?')
    points=$(grep -o '^[0-9]* points from' "$TMP/$mode.txt" | grep -o '^[0-9]*' || echo '?')
    [ "$mode" = spill ] && row="$row $points |"
    row="$row $rss MiB, $model MiB, $wall s, $cpu s |"
    echo "$side $mode: peak RSS $rss MiB (model $model MiB), wall $wall s, CPU $cpu s"
  done
  if cmp -s "$TMP/spill.tif" "$TMP/memory.tif"; then same=yes; else same=NO; fi
  echo "$row $same |" >> "$OUT"
done
cat "$OUT"
