#!/usr/bin/env bash
# Orthorectification speed: a 10000x10000 sensor image (the Ventoux PAN crop tiled 20x20 in a VRT,
# placed at the crop's origin (5000, 5000) of its 39182x41801 full scene, under the scene's RPC)
# on the SRTM tile, 0.5 m UTM 31N grid, bicubic, UInt16 output:
#   dsm-run ortho (release, COG with overviews)
#   gdalwarp -multi -wo NUM_THREADS=ALL_CPUS -r cubic -rpc -to RPC_DEM=<SRTM made ellipsoidal> (tiled GeoTIFF)
#   otbcli_OrthoRectification (Debian otb-bin, SRTM folder + EGM96 geoid, bicubic) when it installs
# on the same grid, each under /usr/bin/time (wall, CPU = user + sys, peak RSS), then the
# difference of each output to dsm-run's (`dsm-run compare`: median and NMAD of the DN
# difference over the common valid pixels). Builds dsm-run in SCRATCH_PATH (default .build); writes
# $RESULTS/ortho.md (RESULTS default Benchmarks/results; conventions in Benchmarks/README.md).
#   RELIEF_SAMPLE_DATA=/work/shared/data [RESULTS=DIR] [SCRATCH_PATH=.build-x] [SWIFT=swift-locked] Benchmarks/ortho-bench.sh
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/measure.sh
. "$(dirname "$0")/lib/measure.sh"
cd "$BENCH_ROOT"
DATA="${RELIEF_SAMPLE_DATA:?set RELIEF_SAMPLE_DATA to the sample data folder}"
SCRATCH="${SCRATCH_PATH:-.build}"
OUT="$RESULTS/ortho.md"
CROP="$DATA/cars_phr_ventoux/image/phr_ventoux/left_image.tif"
GEOM="$DATA/cars_phr_ventoux/rpc/phr_ventoux/left_image.geom"
SRTM_DIR="$DATA/dem_geoid/dtm/srtm_ventoux/srtm90_non_void_filled"
SRTM="$SRTM_DIR/N44E005.hgt"
GEOID="$DATA/dem_geoid/dtm/geoid/egm96_15.gtx"
N=20   # tiles per side: 20 x 500 px = 10000 px

need=()
command -v gdalwarp >/dev/null || need+=(gdal-bin)
if [ ${#need[@]} -gt 0 ]; then apt-get install -y -qq "${need[@]}" >/dev/null; fi
OTB_NOTE=""
if ! command -v otbcli_OrthoRectification >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq otb-bin >/dev/null 2>&1 || OTB_NOTE="otb-bin did not install (apt-get failed): OTB skipped"
fi

"$SWIFT" build -c release --scratch-path "$SCRATCH" --product dsm-run
BIN="$SCRATCH/release/dsm-run"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
LOAD=$(machine_note)

# 1. The big sensor image: crop-offset convention (geotransform (5000, 1, 0, 5000, 0, 1), no CRS)
#    for dsm-run with the full-scene .geom; GDAL's RPC domain (offsets shifted by 5000) for gdalwarp and OTB.
python3 - "$CROP" "$GEOM" "$N" "$TMP" <<'PY'
import sys
crop, geom_path, n, tmp = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
kv = {}
for line in open(geom_path):
    if ":" in line:
        k, v = line.split(":", 1)
        kv[k.strip()] = v.split()[0] if v.split() else ""
md = {}
for key in ["LINE_OFF", "SAMP_OFF", "LAT_OFF", "LONG_OFF", "HEIGHT_OFF", "LINE_SCALE", "SAMP_SCALE", "LAT_SCALE", "LONG_SCALE", "HEIGHT_SCALE"]:
    md[key] = float(kv[key.lower()])
md["LINE_OFF"] -= 5000
md["SAMP_OFF"] -= 5000
for key in ["LINE_NUM_COEFF", "LINE_DEN_COEFF", "SAMP_NUM_COEFF", "SAMP_DEN_COEFF"]:
    md[key] = " ".join(kv["%s_%02d" % (key.lower(), i)] for i in range(20))
size = 500 * n
sources = "".join(
    '<SimpleSource><SourceFilename relativeToVRT="0">%s</SourceFilename><SourceBand>1</SourceBand>'
    '<SrcRect xOff="0" yOff="0" xSize="500" ySize="500"/><DstRect xOff="%d" yOff="%d" xSize="500" ySize="500"/></SimpleSource>\n'
    % (crop, 500 * i, 500 * j) for j in range(n) for i in range(n))
band = '<VRTRasterBand dataType="UInt16" band="1">\n%s</VRTRasterBand>\n' % sources
open(tmp + "/big.vrt", "w").write('<VRTDataset rasterXSize="%d" rasterYSize="%d">\n<GeoTransform>5000, 1, 0, 5000, 0, 1</GeoTransform>\n%s</VRTDataset>\n' % (size, size, band))
items = "".join('<MDI key="%s">%s</MDI>\n' % (k, v) for k, v in md.items())
import re
geom = open(geom_path).read()
for key in ("line_off", "samp_off"):   # OTB reads the model from an OSSIM .geom (extended filename &geom=)
    geom = re.sub(r"^(%s:\s*)([-0-9.eE+]+)" % key, lambda m: m.group(1) + repr(float(m.group(2)) - 5000), geom, flags=re.M)
open(tmp + "/crop.geom", "w").write(geom)
open(tmp + "/big-rpc.vrt", "w").write('<VRTDataset rasterXSize="%d" rasterYSize="%d">\n<Metadata domain="RPC">\n%s</Metadata>\n%s</VRTDataset>\n' % (size, size, items, band))
PY
# 2. SRTM made ellipsoidal (h = H + N, EGM96) for gdalwarp's RPC_DEM.
gdalwarp -q -s_srs "+proj=longlat +datum=WGS84 +geoidgrids=$GEOID +vunits=m" -t_srs "+proj=longlat +datum=WGS84 +vunits=m" \
    -ot Float32 -r near "$SRTM" "$TMP/srtm-ellipsoidal.tif"

measure() {   # name, command...: appends "name|wall s|cpu s|rss MiB" to $TMP/rows
    local name=$1; shift
    timed "$TMP/$name.measures" "$@" > "$TMP/$name.out" 2> "$TMP/$name.err" || { head -5 "$TMP/$name.err" >&2; return 1; }
    awk -v n="$name" '{ printf "%s|%.1f|%.1f|%.0f\n", n, $1, $2, $3 }' "$TMP/$name.measures" >> "$TMP/rows"
}

# 3. dsm-run ortho: the grid (UTM of the footprint centre, 0.5 m, extent = footprint) is its default.
measure dsm-run "$BIN" ortho "$TMP/big.vrt" --rpc "$GEOM" --dem "$SRTM" --geoid "$GEOID" --resolution 0.5 \
    --resampling bicubic -o "$TMP/dsm-run.tif"
cat "$TMP/dsm-run.out"
read -r XMIN YMAX W H EPSG < <(python3 - "$TMP/dsm-run.out" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
m = re.search(r"EPSG:(\d+), (\d+)x(\d+) px of ([0-9.]+) m, top-left \(([-0-9.e]+), ([-0-9.e]+)\)", t)
print(m.group(5), m.group(6), m.group(2), m.group(3), m.group(1))
PY
)
XMAX=$(python3 -c "print($XMIN + $W * 0.5)"); YMIN=$(python3 -c "print($YMAX - $H * 0.5)")
# 3b. The same output as gdalwarp's (tiled DEFLATE GeoTIFF, no overviews; with a mask band): like for like.
measure dsm-run-gtiff "$BIN" ortho "$TMP/big.vrt" --rpc "$GEOM" --dem "$SRTM" --geoid "$GEOID" --resolution 0.5 \
    --resampling bicubic --format gtiff -o "$TMP/dsm-run-gtiff.tif"

# 4. gdalwarp, same grid, cubic, all threads.
measure gdalwarp gdalwarp -q -multi -wo NUM_THREADS=ALL_CPUS -r cubic -rpc -to "RPC_DEM=$TMP/srtm-ellipsoidal.tif" \
    -t_srs "EPSG:$EPSG" -te "$XMIN" "$YMIN" "$XMAX" "$YMAX" -tr 0.5 0.5 -ot UInt16 -dstnodata 0 \
    -co TILED=YES -co COMPRESS=DEFLATE -co PREDICTOR=2 "$TMP/big-rpc.vrt" "$TMP/gdalwarp.tif"

# 5. OTB, same grid (OTB's origin is the upper-left pixel centre), bicubic, SRTM folder + geoid;
#    OTB 8.1 reads no RPC from GDAL's RPC domain: it gets the .geom with the crop offsets.
if [ -z "$OTB_NOTE" ]; then
    ZONE=$((EPSG % 100))
    measure otb otbcli_OrthoRectification -io.in "$TMP/big-rpc.vrt?&geom=$TMP/crop.geom" -io.out "$TMP/otb.tif?&gdal:co:TILED=YES&gdal:co:COMPRESS=DEFLATE" uint16 \
        -map utm -map.utm.zone "$ZONE" -map.utm.northhem 1 -outputs.mode auto \
        -outputs.ulx "$(python3 -c "print($XMIN + 0.25)")" -outputs.uly "$(python3 -c "print($YMAX - 0.25)")" \
        -outputs.sizex "$W" -outputs.sizey "$H" -outputs.spacingx 0.5 -outputs.spacingy -0.5 \
        -elev.dem "$SRTM_DIR" -elev.geoid "$GEOID" -interpolator bco -opt.gridspacing 4 \
        || OTB_NOTE="otbcli_OrthoRectification failed: $(grep -m2 -iE 'error|exception' "$TMP/otb.err" "$TMP/otb.out" | tr '\n' ' ' || true)"
fi

diff_to() { "$BIN" compare "$TMP/$1.tif" "$TMP/dsm-run.tif" 2>&1 | tail -1; }
GDIFF=$(diff_to gdalwarp)
ODIFF=""; [ -f "$TMP/otb.tif" ] && ODIFF=$(diff_to otb)
cat "$TMP/rows"

{
    echo "# Orthorectification benchmark (\`Benchmarks/ortho-bench.sh\`)"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M') UTC, GDAL $(gdal-config --version 2>/dev/null || gdalinfo --version)."
    echo "Input: 10000x10000 UInt16 sensor image (Ventoux PAN crop tiled 20x20 in a VRT under its full-scene RPC),"
    echo "SRTM N44E005 (+ EGM96), output ${W}x${H} px at 0.5 m, EPSG:$EPSG, bicubic, UInt16, nodata 0."
    echo
    echo "| tool | wall s | CPU s | peak RSS MiB |"
    echo "| --- | ---: | ---: | ---: |"
    awk -F'|' '{ printf "| %s | %s | %s | %s |\n", $1, $2, $3, $4 }' "$TMP/rows"
    echo
    echo "dsm-run writes a COG (DEFLATE, overviews, mask band; staged then converted); dsm-run-gtiff (\`--format gtiff\`), gdalwarp and OTB a tiled DEFLATE GeoTIFF without overviews (dsm-run-gtiff with a mask band)."
    awk -F'|' '$1 == "dsm-run" { c = $2 } $1 == "dsm-run-gtiff" { g = $2 } $1 == "gdalwarp" { w = $2 }
        END { if (w > 0) printf "Wall time / gdalwarp'"'"'s: dsm-run COG %.2f, dsm-run GeoTIFF %.2f (issue target <= 0.25).\n", c / w, g / w }' "$TMP/rows"
    echo "At the start: $LOAD (the machine is shared: wall times vary, CPU times less)."
    echo
    echo "Difference to dsm-run's output (\`dsm-run compare OTHER dsm-run.tif\`, on dsm-run's grid; it prints m, read DN):"
    echo "- gdalwarp: $GDIFF"
    [ -n "$ODIFF" ] && echo "- OTB: $ODIFF"
    [ -n "$OTB_NOTE" ] && echo "- $OTB_NOTE"
    echo
    echo "dsm-run summary: $(tr '\n' ' ' < "$TMP/dsm-run.out")"
} > "$OUT"
cat "$OUT"
