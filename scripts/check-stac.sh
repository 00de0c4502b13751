#!/usr/bin/env bash
# Validates STAC Items (e.g. the JSON `dsm-run pwh` writes) with stac-validator from pip, in a
# virtual environment this script creates under Benchmarks/.venv-stac (gitignored).
#   scripts/check-stac.sh ITEM.json [more.json ...]        exit 0 when every Item is valid
#
# With the network: stac-validator's default mode (the core Item schema and every extension
# schema listed in stac_extensions, fetched from schemas.stacspec.org / stac-extensions.github.io).
# Without it (as on the project's machines): the core Item 1.0.0 schema and the GeoJSON schemas it
# references, from the copies the pystac wheel ships (pystac/validation/jsonschemas), mapped with
# stac-validator's --schema-map; then the projection and view fields the PWH Item uses are checked
# here (types and shapes of proj:epsg, proj:shape, proj:transform, view:sun_*), since their
# schemas cannot be fetched. The mode used is printed.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 ITEM.json [...]" >&2; exit 2; }
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/Benchmarks/.venv-stac"
if [ ! -x "$venv/bin/stac-validator" ] || [ ! -d "$("$venv/bin/python" -c 'import os, pystac; print(os.path.dirname(pystac.__file__))' 2>/dev/null)" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "stac-validator==3.11.0" "pystac==1.10.1"
fi
py="$venv/bin/python"
schemas="$("$py" -c 'import os, pystac; print(os.path.dirname(pystac.__file__))')/validation/jsonschemas"
online=0
"$py" - 2>/dev/null <<'PY' && online=1 || true
import urllib.request
urllib.request.urlopen("https://schemas.stacspec.org/v1.0.0/item-spec/json-schema/item.json", timeout=5)
PY
args=()
if [ $online = 1 ]; then
    echo "check-stac: online, core + extension schemas"
else
    echo "check-stac: offline, core Item 1.0.0 schema from pystac's copy + projection/view field checks"
    base=https://schemas.stacspec.org/v1.0.0/item-spec/json-schema
    for f in item basics datetime instrument licensing provider; do
        args+=(--schema-map "$base/$f.json" "$schemas/stac-spec/v1.0.0/$f.json")
    done
    for f in Feature Geometry; do
        args+=(--schema-map "https://geojson.org/schema/$f.json" "$schemas/geojson/$f.json")
    done
    args+=(--core)
fi
status=0
for item in "$@"; do
    # stac-validator exits 0 when the file is valid, 1 otherwise, and prints its JSON report.
    if ! "$venv/bin/stac-validator" "${args[@]}" "$item"; then
        echo "check-stac: $item is NOT a valid STAC Item" >&2
        status=1
        continue
    fi
    if [ $online = 0 ] && ! "$py" - "$item" <<'PY'
import json, sys
item = json.load(open(sys.argv[1]))
p, ext, errors = item["properties"], item.get("stac_extensions", []), []
num = lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)
if any("/projection/" in e for e in ext):
    if not (p.get("proj:epsg") is None or (isinstance(p["proj:epsg"], int) and not isinstance(p["proj:epsg"], bool))):
        errors.append("proj:epsg is not an integer or null")
    s = p.get("proj:shape")
    if s is not None and not (isinstance(s, list) and len(s) == 2 and all(isinstance(v, int) and v > 0 for v in s)):
        errors.append("proj:shape is not [rows, columns] of positive integers")
    t = p.get("proj:transform")
    if t is not None and not (isinstance(t, list) and len(t) in (6, 9) and all(num(v) for v in t)):
        errors.append("proj:transform is not 6 or 9 numbers")
    if not any(k.startswith("proj:") for k in p):
        errors.append("the projection extension is listed but no proj: field is set")
elif any(k.startswith("proj:") for k in p):
    errors.append("proj: fields without the projection extension in stac_extensions")
if "view:sun_elevation" in p and not (num(p["view:sun_elevation"]) and -90 <= p["view:sun_elevation"] <= 90):
    errors.append("view:sun_elevation is not a number in [-90, 90]")
if "view:sun_azimuth" in p and not (num(p["view:sun_azimuth"]) and 0 <= p["view:sun_azimuth"] <= 360):
    errors.append("view:sun_azimuth is not a number in [0, 360]")
if any(k.startswith("view:") for k in p) and not any("/view/" in e for e in ext):
    errors.append("view: fields without the view extension in stac_extensions")
for e in errors: print(f"check-stac: {sys.argv[1]}: {e}", file=sys.stderr)
sys.exit(1 if errors else 0)
PY
    then
        status=1
    fi
done
exit $status
