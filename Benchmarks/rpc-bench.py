"""Times rpcm and shareloc on the points rpc-bench wrote, and writes the comparison table.

Usage: rpc-bench.py OURS_TABLE POINTS_DIR NAME=MODEL ...
OURS_TABLE is rpc-bench's markdown output; POINTS_DIR holds NAME.f64 (float64 rows of
col row h lon lat, 0-based pixel centres). shareloc's convention is ours + 0.5 (row, col).
"""
import os
import sys
import time

import numpy as np
import rpcm
from shareloc.geomodels import GeoModel


def best(runs, fn):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def load_rpcm(path):
    if path.lower().endswith((".tif", ".tiff", ".ntf")):
        return rpcm.rpc_from_geotiff(path)
    return rpcm.rpc_from_rpc_file(path)


def main():
    ours_table, points_dir = sys.argv[1], sys.argv[2]
    models = [a.split("=", 1) for a in sys.argv[3:]]
    ours = {}
    for line in open(ours_table):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 6 and cells[2].isdigit():
            ours[(cells[0], cells[1])] = (float(cells[3]), float(cells[5]))
    rows = []
    for name, path in models:
        pts = np.fromfile(os.path.join(points_dir, name + ".f64")).reshape(-1, 5)
        col, row, h, lon, lat = (np.ascontiguousarray(pts[:, k]) for k in range(5))
        n = len(col)
        r = load_rpcm(path)
        g = GeoModel(path, "RPC")
        # Warm-up (numba JIT compilation is not timed).
        g.inverse_loc(lon[:100], lat[:100], h[:100])
        g.direct_loc_h(row[:100] + 0.5, col[:100] + 0.5, h[:100])
        t_rpcm_p, (c1, r1) = best(5, lambda: r.projection(lon, lat, h))
        t_share_p, (r2, c2, _) = best(11, lambda: g.inverse_loc(lon, lat, h))
        t_rpcm_l, (lo1, la1) = best(1, lambda: r.localization(col, row, h))
        t_share_l, p3 = best(5, lambda: g.direct_loc_h(row + 0.5, col + 0.5, h))
        # Agreement with our points (ground points come from our localisation).
        dp_rpcm = max(np.nanmax(np.abs(c1 - col)), np.nanmax(np.abs(r1 - row)))
        dp_share = max(np.nanmax(np.abs(c2 - 0.5 - col)), np.nanmax(np.abs(r2 - 0.5 - row)))
        dl_rpcm = max(np.nanmax(np.abs(lo1 - lon)), np.nanmax(np.abs(la1 - lat)))
        dl_share = max(np.nanmax(np.abs(p3[:, 0] - lon)), np.nanmax(np.abs(p3[:, 1] - lat)))
        for direction, t_r, t_s, d_r, d_s, unit in (
            ("ground->image", t_rpcm_p, t_share_p, dp_rpcm, dp_share, "px"),
            ("image->ground", t_rpcm_l, t_share_l, dl_rpcm, dl_share, "deg"),
        ):
            t_ours, t_ours_arrays = ours[(name, direction)]
            rows.append(
                f"| {name} | {direction} | {n} | {t_ours:.4f} ({t_ours_arrays:.4f}) | {t_r:.4f} | {t_s:.4f} "
                f"| {n / t_ours:.3g} | {n / t_r:.3g} | {n / t_s:.3g} | {t_s / t_ours:.1f}x ({t_s / t_ours_arrays:.1f}x) "
                f"| {t_r / t_ours:.0f}x | {d_r:.1e} / {d_s:.1e} {unit} |"
            )
    print("| model | direction | points | Relief s (array API) | rpcm 1.4.10 s | shareloc 0.3.0 s | Relief pts/s "
          "| rpcm pts/s | shareloc pts/s | vs shareloc (array API) | vs rpcm | max difference to Relief: rpcm / shareloc |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
