#!/usr/bin/env bash
# Scaling of `dsm-run dsm` with the scene size, on the synthetic N x N pairs with an analytic
# truth (`dsm-run synthetic-scene render`: hills, a town of buildings whose walls occlude,
# texture, RPC00B cameras at B/H 0.35). For each size: wall, CPU (user + system) and peak RSS
# from /usr/bin/time -v, s per Mpx of the reference image, the phases dsm-run reports
# (preparation, tiles, final write) and the DSM's accuracy against the truth
# (`dsm-run synthetic-scene score`: median, NMAD, valid share over the central 80 %).
# Defaults only (no height prior, --memory 1.5G, all cores). With PEER_BIN (an earlier
# dsm-run, e.g. built from the previous main), every size runs it too, in the same script:
# the ratios compare the two on the same machine state.
#
#   Benchmarks/dsm-scale.sh [SIZE ...]          (default: 2000 4000 8000 16000)
#   env: RESULTS, SCRATCH_PATH, SWIFT (Benchmarks/README.md, Conventions), SCENES (folder for the rendered pairs,
#        kept between runs; default .build-scale), BIN (dsm-run to measure; default: a release
#        build made here), PEER_BIN (optional), DSM_ARGS (extra dsm options for both).
# Writes $RESULTS/dsm-scale.md (table), $RESULTS/dsm-scale.csv, and $RESULTS/dsm-scale.png when
# python3 has matplotlib.
set -euo pipefail
# shellcheck source=lib/measure.sh
source "$(dirname "$0")/lib/measure.sh"
cd "$BENCH_ROOT"
SCRATCH_PATH=${SCRATCH_PATH:-.build}
SCENES="${SCENES:-.build-scale}"
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(2000 4000 8000 16000)
read -r -a EXTRA <<< "${DSM_ARGS:-}"
if [ -z "${BIN:-}" ]; then
  "$SWIFT" build -c release --scratch-path "$SCRATCH_PATH" --product dsm-run
  BIN=$SCRATCH_PATH/release/dsm-run
fi
mkdir -p "$RESULTS" "$SCENES"
CSV="$RESULTS/dsm-scale.csv"
MD="$RESULTS/dsm-scale.md"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# run NAME BIN SIZE: one timed dsm run; appends a CSV row.
run() {
  local name=$1 bin=$2 n=$3 dir="$SCENES/s$3"
  local out="$TMP/$name-$n.tif"
  /usr/bin/time -v "$bin" dsm "$dir/left.tif" "$dir/right.tif" -o "$out" "${EXTRA[@]}" > "$TMP/log" 2> "$TMP/time" || {
    echo "dsm failed ($name, $n):" >&2; tail -5 "$TMP/log" "$TMP/time" >&2; return 1; }
  local wall cpu rss phases score load
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,t,":"); s=0; for(i=1;i<=n;i++) s=s*60+t[i]; print s}' "$TMP/time")
  cpu=$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {print u+s}' "$TMP/time")
  rss=$(awk -F': ' '/Maximum resident/ {printf "%.0f", $2/1024}' "$TMP/time")
  phases=$(sed -n 's/^phases: preparation \([0-9.]*\) s, tiles \([0-9.]*\) s, final write \([0-9.]*\) s/\1,\2,\3/p' "$TMP/log")
  [ -n "$phases" ] || phases=",,"
  score=$("$BIN" synthetic-scene score --size "$n" "$out" | awk '{print $4","$6","$8}')
  load=$(cut -d' ' -f1 /proc/loadavg)
  echo "$name,$n,$wall,$cpu,$rss,$phases,$score,$load" >> "$CSV"
  rm -f "$out"
}

echo "tool,size,wall_s,cpu_s,peak_rss_mib,prepare_s,tiles_s,write_s,valid,median_m,nmad_m,load" > "$CSV"
for n in "${SIZES[@]}"; do
  if [ ! -f "$SCENES/s$n/right.tif" ]; then
    /usr/bin/time -f "render $n: %e s wall, %U s CPU, %M KB" "$BIN" synthetic-scene render --size "$n" "$SCENES/s$n" > /dev/null
  fi
  run relief "$BIN" "$n"
  [ -z "${PEER_BIN:-}" ] || run peer "$PEER_BIN" "$n"
done

python3 - "$CSV" "$MD" "${PEER_BIN:+peer}" <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
out = open(sys.argv[2], "w")
cpu = open("/proc/cpuinfo").read().count("processor\t:")
out.write("# DSM scaling on synthetic N x N pairs (`Benchmarks/dsm-scale.sh`)\n\n")
out.write(f"Release build, {cpu} cores, defaults (no height prior, --memory 1.5G). s/Mpx: per megapixel of the reference image. "
          "Accuracy against the analytic truth over the central 80 % of the scene. Load: 1-min load average after the run.\n\n")
out.write("| tool | N | wall s | CPU s | peak RSS MiB | wall s/Mpx | CPU s/Mpx | final write s (share) | valid | median m | NMAD m | load |\n")
out.write("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
for r in rows:
    mpx = int(r["size"]) ** 2 / 1e6
    wall, cpu_s = float(r["wall_s"]), float(r["cpu_s"])
    write = f'{float(r["write_s"]):.1f} ({100 * float(r["write_s"]) / wall:.0f} %)' if r["write_s"] else "n/a"
    out.write(f'| {r["tool"]} | {r["size"]} | {wall:.1f} | {cpu_s:.1f} | {r["peak_rss_mib"]} | {wall / mpx:.3f} | {cpu_s / mpx:.3f} | '
              f'{write} | {r["valid"]} | {r["median_m"]} | {r["nmad_m"]} | {r["load"]} |\n')
if sys.argv[3:] and sys.argv[3] == "peer":
    out.write("\nRatios relief / peer at each size (same script, same machine state):\n\n| N | wall | CPU | peak RSS |\n| --- | --- | --- | --- |\n")
    by = {(r["tool"], r["size"]): r for r in rows}
    for r in rows:
        p = by.get(("peer", r["size"]))
        if r["tool"] != "relief" or not p: continue
        f = lambda k: float(r[k]) / float(p[k])
        out.write(f'| {r["size"]} | {f("wall_s"):.2f} | {f("cpu_s"):.2f} | {f("peak_rss_mib"):.2f} |\n')
out.close()
try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    for tool in sorted({r["tool"] for r in rows}):
        rs = [r for r in rows if r["tool"] == tool]
        mpx = [int(r["size"]) ** 2 / 1e6 for r in rs]
        a.plot(mpx, [float(r["wall_s"]) for r in rs], "o-", label=f"{tool} wall")
        a.plot(mpx, [float(r["cpu_s"]) for r in rs], "s--", label=f"{tool} CPU")
        b.plot(mpx, [float(r["peak_rss_mib"]) for r in rs], "o-", label=tool)
    a.set_xlabel("reference image, Mpx"); a.set_ylabel("seconds"); a.legend(); a.grid(alpha=.3)
    b.set_xlabel("reference image, Mpx"); b.set_ylabel("peak RSS, MiB"); b.legend(); b.grid(alpha=.3)
    fig.tight_layout()
    fig.savefig(sys.argv[2].replace(".md", ".png"), dpi=90)
except ImportError:
    print("matplotlib not installed: no plot", file=sys.stderr)
EOF
cat "$MD"
