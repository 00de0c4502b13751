#!/usr/bin/env bash
# Pan-sharpening quality by Wald's protocol on the Ventoux PAN + MS crops, ours against OTB 8.1's
# BundleToPerfectSensor (default method rcs), on the same degraded inputs:
#   1. `dsm-run pansharpen-wald` degrades PAN (500x500 -> 125x125) and MS (145x145 -> 36x36) by 4
#      (Gaussian with MTF gain 0.15 / 0.3 at Nyquist, block-centred decimation), writes them with a
#      made-up UTM georeferencing that places the grids as the images (MS = PAN / 4 + 10 on the crops,
#      measured), fuses them with each of our methods and scores them against the original MS;
#   2. otbcli_BundleToPerfectSensor fuses the same degraded files (it superimposes the MS by map
#      coordinates, bicubic) and `--score` scores its output the same way;
#   3. full resolution: `dsm-run pansharpen` (release) and OTB on the 500x500 crop and on a
#      4000x4000 PAN made of copies of it.
# Every timed run is under /usr/bin/time: wall, CPU (user + sys), peak RSS. Fails when our best ERGAS
# is not below OTB rcs's (issue 6's bar). Installs Debian `otb-bin` when missing. Builds dsm-run in
# SCRATCH_PATH (default .build-pansharpen); writes $RESULTS/pansharpen.md (RESULTS default
# Benchmarks/results; conventions in Benchmarks/README.md).
#   RELIEF_SAMPLE_DATA=/work/shared/data [RESULTS=DIR] [SCRATCH_PATH=.build-x] [SWIFT=swift-locked] Benchmarks/pansharpen-bench.sh
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/measure.sh
. "$(dirname "$0")/lib/measure.sh"
cd "$BENCH_ROOT"
DATA="${RELIEF_SAMPLE_DATA:?set RELIEF_SAMPLE_DATA to the sample data folder}"
SCRATCH="${SCRATCH_PATH:-.build-pansharpen}"
OUT="$RESULTS/pansharpen.md"
V="$DATA/cars_phr_ventoux"
PAN="$V/image/phr_ventoux/left_image.tif"
MS="$V/image/phr_ventoux/lowres_color_image.tif"

if ! command -v otbcli_BundleToPerfectSensor > /dev/null; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq otb-bin
fi
OTB_VERSION=$(dpkg-query -W -f='${Version}' otb-bin 2>/dev/null || echo unknown)

"$SWIFT" build -c release --scratch-path "$SCRATCH" --product dsm-run
BIN="$SCRATCH/release/dsm-run"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
LOAD=$(machine_note)

# 1 + 2: Wald's protocol.
timed "$TMP/wald-ours.measures" "$BIN" pansharpen-wald "$PAN" "$MS" --ratio 4 -o "$TMP/wald" > "$TMP/ours.txt"
timed "$TMP/wald-otb.measures" otbcli_BundleToPerfectSensor -inp "$TMP/wald/pan_degraded.tif" -inxs "$TMP/wald/ms_degraded.tif" \
    -out "$TMP/wald/otb_rcs.tif" float > "$TMP/otb.log" 2>&1
read -r OTB_WALD OTB_WALD_CPU OTB_WALD_RSS < "$TMP/wald-otb.measures"
read -r OURS_WALD OURS_WALD_CPU OURS_WALD_RSS < "$TMP/wald-ours.measures"
"$BIN" pansharpen-wald "$PAN" "$MS" --ratio 4 -o "$TMP/wald" --score "otb_rcs=$TMP/wald/otb_rcs.tif" > "$TMP/all.txt"
cat "$TMP/all.txt"

# 1b: the same with the PAN/MS relation from the .geom RPCs, without and with registration.
GEOMS=(--pan-rpc "$V/rpc/phr_ventoux/left_image.geom" --ms-rpc "$V/rpc/phr_ventoux/lowres_color_image.geom")
"$BIN" pansharpen-wald "$PAN" "$MS" "${GEOMS[@]}" -o "$TMP/wald_rpc" > "$TMP/rpc.txt"
"$BIN" pansharpen-wald "$PAN" "$MS" "${GEOMS[@]}" --register -o "$TMP/wald_reg" > "$TMP/reg.txt"
"$BIN" pansharpen-wald "$PAN" "$MS" --ratio 4 --register -o "$TMP/wald_ratio_reg" > "$TMP/ratio_reg.txt"

# 3: full resolution (OTB reads the full-scene .geom next to each image: copies in $TMP).
# A TIMES entry: "wall | CPU | peak RSS" of a run, or "failed (...) | - | -".
mkdir -p "$TMP/full"
cp "$PAN" "$TMP/full/pan.tif"; cp "$V/rpc/phr_ventoux/left_image.geom" "$TMP/full/pan.geom"
cp "$MS" "$TMP/full/ms.tif"; cp "$V/rpc/phr_ventoux/lowres_color_image.geom" "$TMP/full/ms.geom"
declare -A TIMES
measure() {  # LABEL COMMAND...: TIMES[LABEL] = "wall | CPU | peak RSS" of COMMAND
    local label=$1; shift
    if timed "$TMP/$label.measures" "$@" > "$TMP/$label.log" 2>&1; then
        TIMES[$label]=$(awk '{ printf "%s | %s | %s", $1, $2, $3 }' "$TMP/$label.measures")
    else
        TIMES[$label]="failed ($(tail -1 "$TMP/$label.log")) | - | -"
    fi
}
for method in gsa brovey; do
    measure "full_$method" "$BIN" pansharpen "$PAN" "$MS" --ratio 4 --method "$method" -o "$TMP/full/ours_$method.tif"
done
measure full_otb otbcli_BundleToPerfectSensor -inp "$TMP/full/pan.tif" -inxs "$TMP/full/ms.tif" -out "$TMP/full/otb.tif" uint16

# 4: speed and memory on a 4000x4000 PAN: 8x8 copies of the crop, and of the 125x125 MS part over it
# (MS = PAN / 4 exactly: phase 0), with a made-up UTM georeferencing for OTB; ours uses --ratio 4.
mkdir -p "$TMP/big"
python3 - "$PAN" "$MS" "$TMP/big" <<'PY'
import sys
pan, ms, out = sys.argv[1:]
def vrt(path, src, size, tile, offset, bands, dtype):
    with open(path, "w") as f:
        f.write(f'<VRTDataset rasterXSize="{size}" rasterYSize="{size}">\n')
        for b in range(1, bands + 1):
            f.write(f'  <VRTRasterBand dataType="{dtype}" band="{b}">\n')
            for j in range(8):
                for i in range(8):
                    f.write(f'    <SimpleSource><SourceFilename relativeToVRT="0">{src}</SourceFilename><SourceBand>{b}</SourceBand>'
                            f'<SrcRect xOff="{offset}" yOff="{offset}" xSize="{tile}" ySize="{tile}"/>'
                            f'<DstRect xOff="{i * tile}" yOff="{j * tile}" xSize="{tile}" ySize="{tile}"/></SimpleSource>\n')
            f.write('  </VRTRasterBand>\n')
        f.write('</VRTDataset>\n')
vrt(out + "/pan.vrt", pan, 4000, 500, 0, 1, "UInt16")
vrt(out + "/ms.vrt", ms, 1000, 125, 10, 4, "Float32")
PY
gdal_translate -q -co TILED=YES -a_srs EPSG:32631 -a_ullr 500000 4900000 504000 4896000 "$TMP/big/pan.vrt" "$TMP/big/pan.tif"
gdal_translate -q -co TILED=YES -a_srs EPSG:32631 -a_ullr 499998.5 4900001.5 503998.5 4896001.5 "$TMP/big/ms.vrt" "$TMP/big/ms.tif"
measure big_gsa "$BIN" pansharpen "$TMP/big/pan.tif" "$TMP/big/ms.tif" --ratio 4 --method gsa -o "$TMP/big/ours_gsa.tif"
measure big_brovey "$BIN" pansharpen "$TMP/big/pan.tif" "$TMP/big/ms.tif" --ratio 4 --method brovey -o "$TMP/big/ours_brovey.tif"
measure big_otb otbcli_BundleToPerfectSensor -inp "$TMP/big/pan.tif" -inxs "$TMP/big/ms.tif" -out "$TMP/big/otb.tif" uint16

BEST=$(awk '$1 == "gsa" || $1 == "brovey" { if (best == "" || $2 < best) best = $2 } END { print best }' "$TMP/all.txt")
OTB_ERGAS=$(awk '$1 == "otb_rcs" { print $2 }' "$TMP/all.txt")
PASS=$(awk -v a="$BEST" -v b="$OTB_ERGAS" 'BEGIN { print (a < b) ? "yes" : "no" }')
{
  echo "# Pan-sharpening: Wald's protocol on the Ventoux crops, ours vs OTB BundleToPerfectSensor"
  echo
  echo "Generated by \`Benchmarks/pansharpen-bench.sh\` on $(date -u '+%Y-%m-%d %H:%M') UTC ($LOAD at the start; release build;"
  echo "OTB $OTB_VERSION from Debian \`otb-bin\`). Inputs: \`cars_phr_ventoux\` PAN \`left_image.tif\` (500x500, 0.5 m) and MS"
  echo "\`lowres_color_image.tif\` (145x145x4, 2 m, bands R G B NIR), related by MS = PAN / 4 + 10 (crop offsets 5000 and"
  echo "1240, phase 0, as the images' correlation says). Both degraded by 4 (Gaussian, MTF gain 0.15 for the PAN and 0.3 for"
  echo "the MS at Nyquist, block-centred decimation) to 125x125 and 36x36, fused, and compared with the original MS on the"
  echo "degraded PAN grid (121x121 pixels, 2 px from the borders). ERGAS with h/l = 1/4; SAM in degrees; Q4 = Alparone's"
  echo "quaternion index on 32x32 blocks; mean Q = Wang-Bovik Q per band on 32x32 blocks, averaged."
  echo
  echo "| method | ERGAS | SAM (°) | Q4 | mean Q | fusion time, Wald inputs (s) |"
  echo "| --- | --- | --- | --- | --- | --- |"
  awk -v otb="$OTB_WALD" -v cpu="$OTB_WALD_CPU" -v rss="$OTB_WALD_RSS" '!/^#/ { t = ($1 == "otb_rcs") ? sprintf("%.2f (whole otbcli run: CPU %s s, peak RSS %s MiB)", otb, cpu, rss) : sprintf("%.3f (in process)", $6);
       if ($1 == "upsampled") t = "-";
       printf "| %s | %.3f | %.3f | %.4f | %.4f | %s |\n", $1, $2, $3, $4, $5, t }' "$TMP/all.txt"
  echo
  echo "Our fusion times are measured inside \`dsm-run pansharpen-wald\`; that whole process (degrading, every method,"
  echo "scores): wall $OURS_WALD s, CPU $OURS_WALD_CPU s, peak RSS $OURS_WALD_RSS MiB."
  echo
  echo "Issue bar: our best ERGAS ($BEST) below OTB rcs's ($OTB_ERGAS): **$PASS**."
  echo "\`upsampled\` is the MS upsampled bicubically without fusion (the floor); \`brovey\` matches the PAN to the mean"
  echo "of the MS bands; \`gsa\` is Gram-Schmidt adaptive (Aiazzi 2007). OTB's rcs and Brovey keep the upsampled MS's"
  echo "spectral angles (same SAM), which also shows the two upsamplings place the MS identically."
  echo
  echo "The PAN/MS relation matters. Scores by relation (each relation also places the truth, so compare the"
  echo "\`upsampled\` column too, which measures the alignment alone):"
  echo
  echo "| relation | MS = PAN / 4 + (x, y) | upsampled ERGAS | Brovey ERGAS | GSA ERGAS | GSA Q4 |"
  echo "| --- | --- | --- | --- | --- | --- |"
  for f in all:nominal_--ratio_4 rpc:.geom_RPCs reg:.geom_RPCs_+_--register ratio_reg:--ratio_4_+_--register; do
      name=${f%%:*}; label=${f#*:}; label=${label//_/ }
      awk -v label="$label" '/^# MS = / { split($0, a, /[][;]/); split(a[2], r1, " "); split(a[3], r2, " "); off = sprintf("(%.3f, %.3f)", r1[3], r2[3]) }
           $1 == "upsampled" { u = $2 } $1 == "brovey" { b = $2 } $1 == "gsa" { g = $2; q = $4 }
           END { if (off == "") off = "(10.000, 10.000)"; printf "| %s | %s | %.3f | %.3f | %.3f | %.4f |\n", label, off, u, b, g, q }' "$TMP/$name.txt"
  done
  echo
  echo "Full resolution on the 500x500 crop (whole process, 4-band UInt16 output; ours COG, OTB GeoTIFF):"
  echo
  echo "| run | wall (s) | CPU (s) | peak RSS (MiB) |"
  echo "| --- | --- | --- | --- |"
  echo "| dsm-run pansharpen --method gsa --ratio 4 | ${TIMES[full_gsa]} |"
  echo "| dsm-run pansharpen --method brovey --ratio 4 | ${TIMES[full_brovey]} |"
  echo "| otbcli_BundleToPerfectSensor (rcs, sensor models from the .geom) | ${TIMES[full_otb]} |"
  echo
  echo "The crop is small: these times are dominated by start-up and I/O, not by the fusion. On a 4000x4000 PAN"
  echo "(8x8 copies of the crop; MS 1000x1000x4 made the same way; UTM georeferencing for OTB, --ratio 4 for us):"
  echo
  echo "| run (4000x4000 PAN, 4-band UInt16 output) | wall (s) | CPU (s) | peak RSS (MiB) |"
  echo "| --- | --- | --- | --- |"
  echo "| dsm-run pansharpen --method gsa (COG with overviews) | ${TIMES[big_gsa]} |"
  echo "| dsm-run pansharpen --method brovey (COG with overviews) | ${TIMES[big_brovey]} |"
  echo "| otbcli_BundleToPerfectSensor rcs (GeoTIFF, no overviews) | ${TIMES[big_otb]} |"
} > "$OUT"
echo "wrote $OUT"
[ "$PASS" = yes ] || { echo "our best ERGAS $BEST is not below OTB rcs's $OTB_ERGAS" >&2; exit 1; }
