#!/usr/bin/env bash
# Longer runs of the parser fuzz tests: the RPC readers (RPCReaderFuzzTests), the radiometric
# metadata readers (RadiometryReaderFuzzTests: DIMAP v2, Pléiades DIMAP v1.4, OSSIM .geom, and
# the STAC fields read from them) and the queue's request decoding (RequestDecodingFuzzTests),
# ITERATIONS mutations per seed file, once per generator seed. The test suite runs the same tests
# with a few dozen iterations; a crash (a trap in a reader) kills the test process and is
# reported with the seed that replays it.
# Appends a dated section to $RESULTS/fuzz.md (conventions in Benchmarks/README.md): per seed and
# suite, inputs read, refused, accepted, the slowest read, the outcome, and the test process's wall,
# CPU and peak RSS. Uses the debug build with the tests (`$SWIFT build --build-tests`), not a
# release build: the tests are what is fuzzed.
#   RELIEF_SAMPLE_DATA=/work/shared/data [SWIFT=swift-locked] [RESULTS=DIR] Benchmarks/fuzz-readers.sh ITERATIONS [SEED ...]
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/measure.sh
source "$(dirname "$0")/lib/measure.sh"
cd "$BENCH_ROOT" || exit 1
ITERATIONS="${1:?usage: Benchmarks/fuzz-readers.sh ITERATIONS [SEED ...]}"
shift
SEEDS=("$@")
[ ${#SEEDS[@]} -gt 0 ] || SEEDS=(1 2 3)
[ -n "${RELIEF_SAMPLE_DATA:-}" ] || echo "warning: RELIEF_SAMPLE_DATA unset: only the synthetic seed files are mutated" >&2
"$SWIFT" build --build-tests >/dev/null || { echo "build failed" >&2; exit 1; }
OUT="$RESULTS/fuzz.md"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
[ -s "$OUT" ] || printf '# Parser fuzzing (Benchmarks/fuzz-readers.sh)\n' > "$OUT"
{
  data="sample data files mutated too"; [ -n "${RELIEF_SAMPLE_DATA:-}" ] || data="synthetic files only (RELIEF_SAMPLE_DATA unset)"
  printf '\n## %s: %s iterations per seed file, generator seeds %s, %s; %s\n\n' "$(date -u +%Y-%m-%dT%H:%MZ)" "$ITERATIONS" \
    "${SEEDS[*]}" "$data" "$(machine_note)"
  echo "| seed | suite | inputs read | refused with an error | accepted | slowest read (s) | outcome | wall, CPU (s), peak RSS (MiB) of the run |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
} >> "$OUT"
crashes=0
for seed in "${SEEDS[@]}"; do
  RELIEF_FUZZ_ITERATIONS="$ITERATIONS" RELIEF_FUZZ_SEED="$seed" timed "$TMP/measures" "$SWIFT" test --skip-build \
      --filter 'RPCReaderFuzzTests|RadiometryReaderFuzzTests|RequestDecodingFuzzTests' > "$TMP/run.txt" 2>&1
  status=$?
  read -r wall cpu rss < "$TMP/measures"
  outcome="passed"
  if grep -q "Fatal error\|signal code\|Crash\|exited with unexpected signal" "$TMP/run.txt"; then
    outcome="CRASH (see below)"; crashes=$((crashes + 1))
  elif [ $status -ne 0 ]; then
    outcome="failed (see below)"
  fi
  for suite in rpc-readers radiometry-readers request-decoding; do
    line=$(grep -o "FUZZ $suite .*" "$TMP/run.txt" | head -1)
    field() { echo "$line" | grep -o "$1=[^ ]*" | cut -d= -f2; }
    read_count=$(field reads); [ -n "$read_count" ] || read_count=$(field texts)
    accepted=$(field models); [ -n "$accepted" ] || accepted=$(field accepted); [ -n "$accepted" ] || accepted=$(field decoded)
    errors=$(field errors); [ -n "$errors" ] || errors=$(field refused)
    printf '| %s | %s | %s | %s | %s | %s | %s | %s, %s, %s |\n' "$seed" "$suite" "${read_count:-?}" "${errors:-?}" "${accepted:-?}" \
      "$(field slowest_s)" "$outcome" "$wall" "$cpu" "$rss" >> "$OUT"
  done
  if [ "$outcome" != "passed" ]; then
    { echo; echo "Seed $seed, last lines:"; echo '```'; grep -v "^\[" "$TMP/run.txt" | tail -20; echo '```'; } >> "$OUT"
  fi
  echo "seed $seed: $outcome (${wall%.*} s)"
done
echo "crashes: $crashes; results in $OUT"
[ $crashes -eq 0 ]
