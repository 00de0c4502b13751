#!/usr/bin/env bash
# The PWH recipe on the Ventoux crops (500x500 PAN + 145x145x4 MS, full-scene .geom models, SRTM +
# EGM96): `dsm-run pwh` (release) twice (the 2 cores are shared, so compare runs of one invocation
# only), the same two steps as separate commands, and pwh on a 4000x4000 PAN, each under
# /usr/bin/time (wall, CPU user + sys, peak RSS); then scripts/check-stac.sh on the Item. Builds in
# SCRATCH_PATH (default .build); writes $RESULTS/pwh.md (RESULTS default Benchmarks/results;
# conventions in Benchmarks/README.md).
#   RELIEF_SAMPLE_DATA=/work/shared/data [RESULTS=DIR] [SCRATCH_PATH=.build-x] [SWIFT=swift-locked] Benchmarks/pwh-bench.sh
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/measure.sh
. "$(dirname "$0")/lib/measure.sh"
cd "$BENCH_ROOT"
DATA="${RELIEF_SAMPLE_DATA:?set RELIEF_SAMPLE_DATA to the sample data folder}"
SCRATCH="${SCRATCH_PATH:-.build}"
OUT="$RESULTS/pwh.md"
V="$DATA/cars_phr_ventoux"
"$SWIFT" build -c release --product dsm-run --scratch-path "$SCRATCH" >/dev/null
BIN="$SCRATCH/release/dsm-run"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
LOAD=$(machine_note)
rows=""
for run in 1 2; do
    timed "$WORK/measures$run" "$BIN" pwh --pan "$V/image/phr_ventoux/left_image.tif" --ms "$V/image/phr_ventoux/lowres_color_image.tif" \
        --pan-rpc "$V/rpc/phr_ventoux/left_image.geom" --ms-rpc "$V/rpc/phr_ventoux/lowres_color_image.geom" \
        --dem "$DATA/dem_geoid/dtm/srtm_ventoux/srtm90_non_void_filled/N44E005.hgt" \
        --geoid "$DATA/dem_geoid/dtm/geoid/egm96_15.gtx" -o "$WORK/out$run" >"$WORK/log$run"
    read -r wall cpu rss < "$WORK/measures$run"
    rows+="| dsm-run pwh, run $run | $wall | $cpu | $rss |"$'\n'
done
# The same two steps as separate commands (an intermediate sensor-geometry file between them).
timed "$WORK/measures-sep" sh -c "\"$BIN\" pansharpen \"$V/image/phr_ventoux/left_image.tif\" \"$V/image/phr_ventoux/lowres_color_image.tif\" \
    --pan-rpc \"$V/rpc/phr_ventoux/left_image.geom\" --ms-rpc \"$V/rpc/phr_ventoux/lowres_color_image.geom\" --register --reflectance \
    --pan-dimap \"$V/rpc/phr_ventoux/left_image.geom\" --ms-dimap \"$V/rpc/phr_ventoux/lowres_color_image.geom\" -o \"$WORK/ps.tif\" && \
    \"$BIN\" ortho \"$WORK/ps.tif\" --rpc \"$V/rpc/phr_ventoux/left_image.geom\" --dem \"$DATA/dem_geoid/dtm/srtm_ventoux/srtm90_non_void_filled/N44E005.hgt\" \
    --geoid \"$DATA/dem_geoid/dtm/geoid/egm96_15.gtx\" -o \"$WORK/ortho.tif\"" >/dev/null
read -r wall cpu rss < "$WORK/measures-sep"
rows+="| dsm-run pansharpen --reflectance --register, then dsm-run ortho (no STAC) | $wall | $cpu | $rss (larger process) |"$'\n'
# At scale: a 4000x4000 PAN made of 8x8 copies of the crop, placed at the crop's origin (5000, 5000)
# in the full scene (CNES crop geotransform, so the scene's .geom applies), and a 1250x1250 MS of
# 10x10 copies of the MS part over one PAN crop (125x125 from (10, 10)), placed at (1125, 1125) so
# that it covers the PAN with a tile of margin (MS = PAN / 4 on the crops). The content repeats,
# so only the speed and memory mean something here.
python3 - "$V/image/phr_ventoux/left_image.tif" "$V/image/phr_ventoux/lowres_color_image.tif" "$WORK" <<'PY'
import sys
pan, ms, out = sys.argv[1:]
def vrt(path, src, n, tile, offset, origin, bands, dtype):
    with open(path, "w") as f:
        f.write(f'<VRTDataset rasterXSize="{n * tile}" rasterYSize="{n * tile}">\n')
        f.write(f'  <GeoTransform>{origin}, 1, 0, {origin}, 0, 1</GeoTransform>\n')
        for b in range(1, bands + 1):
            f.write(f'  <VRTRasterBand dataType="{dtype}" band="{b}">\n')
            for j in range(n):
                for i in range(n):
                    f.write(f'    <SimpleSource><SourceFilename relativeToVRT="0">{src}</SourceFilename><SourceBand>{b}</SourceBand>'
                            f'<SrcRect xOff="{offset}" yOff="{offset}" xSize="{tile}" ySize="{tile}"/>'
                            f'<DstRect xOff="{i * tile}" yOff="{j * tile}" xSize="{tile}" ySize="{tile}"/></SimpleSource>\n')
            f.write('  </VRTRasterBand>\n')
        f.write('</VRTDataset>\n')
vrt(out + "/pan.vrt", pan, 8, 500, 0, 5000, 1, "UInt16")
vrt(out + "/ms.vrt", ms, 10, 125, 10, 1125, 4, "Float32")
PY
gdal_translate -q -co TILED=YES "$WORK/pan.vrt" "$WORK/big-pan.tif"
gdal_translate -q -co TILED=YES "$WORK/ms.vrt" "$WORK/big-ms.tif"
if timed "$WORK/measures-big" "$BIN" pwh --pan "$WORK/big-pan.tif" --ms "$WORK/big-ms.tif" \
        --pan-rpc "$V/rpc/phr_ventoux/left_image.geom" --ms-rpc "$V/rpc/phr_ventoux/lowres_color_image.geom" \
        --dem "$DATA/dem_geoid/dtm/srtm_ventoux/srtm90_non_void_filled/N44E005.hgt" \
        --geoid "$DATA/dem_geoid/dtm/geoid/egm96_15.gtx" -o "$WORK/big" >"$WORK/log-big" 2>"$WORK/err-big"; then
    read -r wall cpu rss < "$WORK/measures-big"
    rows+="| dsm-run pwh, 4000x4000 PAN + 1250x1250x4 MS (copies) | $wall | $cpu | $rss |"$'\n'
    BIG="$(head -1 "$WORK/log-big" | sed "s|$WORK/big/||")"
else
    rows+="| dsm-run pwh, 4000x4000 PAN + 1250x1250x4 MS (copies) | failed: $(grep -i error "$WORK/err-big" | head -1) | | |"$'\n'
    BIG="failed"
fi
stac="invalid"
scripts/check-stac.sh "$WORK"/out1/*.json >"$WORK/stac" 2>&1 && stac="valid ($(head -1 "$WORK/stac" | sed 's/^check-stac: //'))"
{
    echo "# PWH recipe on the Ventoux crops"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M') UTC, $LOAD at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end."
    echo
    echo "\`dsm-run pwh\` (release): reflectance, GSA pan-sharpening with registration, ortho on SRTM + EGM96 at 0.5 m, COG + STAC Item."
    echo
    echo "| command | wall (s) | CPU (s) | peak RSS (MiB) |"
    echo "| --- | --- | --- | --- |"
    printf '%s' "$rows"
    echo
    echo "Output: $(head -1 "$WORK/log1" | sed "s|$WORK/out1/||")"
    echo
    echo "At scale: $BIG"
    echo
    echo "STAC Item: $stac"
} >"$OUT"
cat "$OUT"
