#!/usr/bin/env bash
# Opens a LAS file written by `dsm-run dsm --points` with laspy (an independent reader, in the
# virtual environment Benchmarks/.venv-laspy created here) and checks it: LAS 1.4, point format 6,
# the point count (when given), bounds that contain every point, heights inside MINZ..MAXZ (when
# given), and a CRS WKT that pyproj reads with the expected EPSG code (when given).
#   scripts/check-las.sh cloud.las [COUNT] [EPSG] [MINZ MAXZ]
set -euo pipefail
cd "$(dirname "$0")/.."
LAS="${1:?usage: scripts/check-las.sh cloud.las [COUNT] [EPSG] [MINZ MAXZ]}"
VENV=Benchmarks/.venv-laspy
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import laspy, pyproj' 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q laspy pyproj numpy
fi
"$VENV/bin/python" - "$LAS" "${2:-}" "${3:-}" "${4:-}" "${5:-}" <<'EOF'
import sys
import laspy, numpy as np, pyproj
path, count, epsg, minz, maxz = sys.argv[1:6]
las = laspy.read(path)
h = las.header
problems = []
if (h.version.major, h.version.minor) != (1, 4): problems.append(f"version {h.version}")
if h.point_format.id != 6: problems.append(f"point format {h.point_format.id}")
n = len(las.points)
if n != h.point_count: problems.append(f"{n} records, header says {h.point_count}")
if count and n != int(count): problems.append(f"{n} points, expected {count}")
x, y, z = np.asarray(las.x), np.asarray(las.y), np.asarray(las.z)
lo, hi = np.array(h.mins), np.array(h.maxs)
tol = 1.5 * np.array(h.scales)
if n and (np.any(x < lo[0] - tol[0]) or np.any(x > hi[0] + tol[0]) or np.any(y < lo[1] - tol[1]) or np.any(y > hi[1] + tol[1])
          or np.any(z < lo[2] - tol[2]) or np.any(z > hi[2] + tol[2])):
    problems.append(f"points outside the header bounds {lo}..{hi}")
if minz and n and (z.min() < float(minz) or z.max() > float(maxz)):
    problems.append(f"heights {z.min():.2f}..{z.max():.2f} outside {minz}..{maxz}")
crs = h.parse_crs()
# A compound CRS (horizontal + vertical, e.g. UTM + EGM96 height) is checked by its horizontal part.
horizontal = crs.sub_crs_list[0] if crs is not None and crs.is_compound else crs
if crs is None: problems.append("no CRS")
elif epsg and horizontal.to_epsg() != int(epsg): problems.append(f"CRS EPSG {horizontal.to_epsg()}, expected {epsg}")
print(f"{path}: LAS {h.version}, format {h.point_format.id}, {n} points, "
      f"x {lo[0]:.3f}..{hi[0]:.3f}, y {lo[1]:.3f}..{hi[1]:.3f}, z {lo[2]:.3f}..{hi[2]:.3f}, "
      f"CRS {crs.name if crs else None} (EPSG {horizontal.to_epsg() if crs else None}"
      f"{' + vertical ' + str(crs.sub_crs_list[1].to_epsg()) if crs is not None and crs.is_compound else ''})")
if problems:
    print("FAILED: " + "; ".join(problems)); sys.exit(1)
print("OK")
EOF
