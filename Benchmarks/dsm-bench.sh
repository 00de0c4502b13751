#!/usr/bin/env bash
# Timing of `dsm-run dsm` (release) against s2p 1.0b25 (and CARS 1.3.0 when it installs) on the
# Réunion pair, ROI/tile/resolution of s2p's config (s2p_reunion_pair/input_pair/config.json):
# wall, CPU (user + sys) and peak RSS from /usr/bin/time, and each DSM's accuracy against
# s2p's expected DSM (expected_output/pair/dsm.tif) through `dsm-run compare` (median, NMAD,
# valid share on its grid, only cells seen inside the ROI). Builds dsm-run in SCRATCH_PATH (default
# .build); writes $RESULTS/dsm-bench.md (RESULTS default Benchmarks/results; conventions in
# Benchmarks/README.md).
#
#   RELIEF_SAMPLE_DATA=/work/shared/data [RESULTS=DIR] [SCRATCH_PATH=.build-x] [SWIFT=swift-locked] Benchmarks/dsm-bench.sh
#
# s2p is installed in Benchmarks/.venv-s2p (created here, gitignored) from its PyPI sdist with
# the `pyproj<3` pin relaxed (no pyproj 2 for Python 3.11); its C tools need libfftw3-dev,
# libtiff-dev, libpng-dev, libjpeg-dev (installed here with apt-get when missing). CARS is tried
# in Benchmarks/.venv-cars only with DSM_BENCH_CARS=1 (pip install cars==1.3.0, it builds
# many dependencies, and has no wheel for pandora_plugin_mccnn on Python 3.11); it is skipped
# with a note otherwise or when the install fails.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/measure.sh
. "$(dirname "$0")/lib/measure.sh"
cd "$BENCH_ROOT"
DATA="${RELIEF_SAMPLE_DATA:?set RELIEF_SAMPLE_DATA to the sample data folder}"
SCRATCH="${SCRATCH_PATH:-.build}"
OUT="$RESULTS/dsm-bench.md"
PAIR="$DATA/s2p_reunion_pair"
CONFIG="$PAIR/input_pair/config.json"
REF="$PAIR/expected_output/pair/dsm.tif"
HEIGHT=2320   # terrain 2270-2376 m (ellipsoid); searched over 2220-2420 m (--height-margin 100)
THREADS=$(nproc)

need_apt=()
for p in libfftw3-dev libtiff-dev libpng-dev libjpeg-dev python3-venv; do
  dpkg -s "$p" >/dev/null 2>&1 || need_apt+=("$p")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
fi

"$SWIFT" build -c release --scratch-path "$SCRATCH" --product dsm-run
BIN="$SCRATCH/release/dsm-run"
read -r ROI TILE RES < <(python3 -c '
import json, sys
c = json.load(open(sys.argv[1])); r = c["roi"]
print("%d,%d,%d,%d %d %s" % (r["x"], r["y"], r["w"], r["h"], c.get("tile_size", 300), c.get("dsm_resolution", 0.5)))' "$CONFIG")

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# ("|diff|" would split a markdown table cell.)
compare() { "$BIN" compare "$1" "$REF" --roi "$ROI" --image "$PAIR/input_pair/img_01.tif" | sed 's/|diff|/abs(diff)/'; }

ROWS=()
LOAD_BEFORE=$(machine_note)
# --- dsm-run ---
timed "$TMP/relief.measures" "$BIN" dsm "$PAIR/input_pair/img_01.tif" "$PAIR/input_pair/img_02.tif" -o "$TMP/relief.tif" \
    --roi "$ROI" --tile "$TILE" --resolution "$RES" --height "$HEIGHT" --threads "$THREADS" \
    > "$TMP/relief.txt" 2> "$TMP/relief.err"
read -r W C R < "$TMP/relief.measures"
ROWS+=("| dsm-run dsm (release) | $W | $C | $R | $(compare "$TMP/relief.tif") |")
RELIEF_WALL=$W

# --- s2p 1.0b25 ---
S2P_NOTE=""
VENV=Benchmarks/.venv-s2p
if [ ! -x "$VENV/bin/s2p" ]; then
  (
    set -e
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --upgrade pip wheel setuptools
    "$VENV/bin/pip" download -q --no-deps --no-binary :all: s2p==1.0b25 -d "$TMP/sdist"
    tar xzf "$TMP/sdist/s2p-1.0b25.tar.gz" -C "$TMP/sdist"
    sed -i "s/'pyproj>=2.0.2,<3.0.0'/'pyproj>=2.0.2'/" "$TMP/sdist/s2p-1.0b25/setup.py"
    "$VENV/bin/pip" install -q "$TMP/sdist/s2p-1.0b25"
  ) > "$TMP/s2p-install.log" 2>&1 || S2P_NOTE="s2p 1.0b25 did not install: $(tail -3 "$TMP/s2p-install.log" | tr '\n' ' ')"
fi
if [ -z "$S2P_NOTE" ]; then
  mkdir -p "$TMP/s2p"
  python3 - "$CONFIG" "$PAIR/input_pair" "$TMP/s2p" > "$TMP/s2p/config.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
for im in c["images"]:
    im["img"] = sys.argv[2] + "/" + im["img"]
c["out_dir"] = sys.argv[3] + "/out"
print(json.dumps(c))
EOF
  if timed "$TMP/s2p.measures" "$VENV/bin/s2p" "$TMP/s2p/config.json" > "$TMP/s2p.log" 2> "$TMP/s2p.err" \
      && [ -f "$TMP/s2p/out/dsm.tif" ]; then
    read -r W C R < "$TMP/s2p.measures"
    ROWS+=("| s2p 1.0b25 | $W | $C | $R | $(compare "$TMP/s2p/out/dsm.tif") |")
    S2P_WALL=$W
  else
    S2P_NOTE="s2p 1.0b25 failed to run: $(tail -3 "$TMP/s2p.err" | tr '\n' ' ')"
  fi
fi

# --- CARS 1.3.0 (opt-in) ---
CARS_NOTE="CARS 1.3.0 not run: on 2026-11-25 \`pip install --only-binary :all: cars==1.3.0\` (Python 3.11) failed with 'No matching distribution found for pandora_plugin_mccnn==1.3.8' (no wheel; a source build pulls torch). Set DSM_BENCH_CARS=1 to try the full pip install in Benchmarks/.venv-cars."
if [ "${DSM_BENCH_CARS:-0}" = 1 ]; then
  CVENV=Benchmarks/.venv-cars
  if [ -x "$CVENV/bin/cars" ] || { python3 -m venv "$CVENV" && "$CVENV/bin/pip" install -q cars==1.3.0; } > "$TMP/cars-install.log" 2>&1; then
    CARS_NOTE="CARS installed, but its run on this pair is not scripted yet (it needs its own JSON configuration)."
  else
    CARS_NOTE="CARS 1.3.0 did not install with pip: $(tail -2 "$TMP/cars-install.log" | tr '\n' ' ')"
  fi
fi

{
  echo "# dsm-run dsm vs s2p 1.0b25: timing on the Réunion pair"
  echo
  echo "Generated by \`Benchmarks/dsm-bench.sh\` on $(date -u '+%Y-%m-%d %H:%M') UTC (dsm-run --threads $THREADS)."
  echo "Input: \`s2p_reunion_pair/input_pair\` img_01 + img_02 with s2p's config (ROI $ROI, tile $TILE px, $RES m)."
  echo "Accuracy: against s2p's \`expected_output/pair/dsm.tif\` on its grid, cells seen in the ROI (\`dsm-run compare\`)."
  echo "Wall, CPU (user + system) and peak RSS from \`/usr/bin/time\` (for s2p, the largest of its processes, not"
  echo "their sum). Before the runs: $LOAD_BEFORE (other jobs share the cores: compare CPU seconds too)."
  echo
  echo "| tool | wall (s) | CPU (s) | peak RSS (MiB) | vs s2p's expected DSM |"
  echo "| --- | --- | --- | --- | --- |"
  printf '%s\n' "${ROWS[@]}"
  echo
  if [ -n "${S2P_WALL:-}" ]; then
    echo "dsm-run's wall time is $(python3 -c "print('%.1f' % ($S2P_WALL / $RELIEF_WALL))")x shorter than s2p's (issue target: >= 15x, <= 1.5 GB)."
  fi
  [ -n "$S2P_NOTE" ] && echo "$S2P_NOTE"
  echo "$CARS_NOTE"
} > "$OUT"
cat "$OUT"
