"""Peer side of Benchmarks/rpc-bench.sh: times rpcm or shareloc on the points rpc-bench wrote, and
writes the comparison tables.

  rpc-bench.py time TOOL POINTS_DIR NAME=MODEL ...
      TOOL is rpcm or shareloc (one tool per process, so that /usr/bin/time gives each its own CPU
      seconds and peak RSS). POINTS_DIR holds NAME.f64 (float64 rows of col row h lon lat, 0-based
      pixel centres; shareloc's convention is ours + 0.5 (row, col)). Prints one line per model
      and direction: NAME DIRECTION BEST_SECONDS MAX_DIFFERENCE.
  rpc-bench.py table OURS_TABLE RUN_DIR NAME=MODEL ...
      OURS_TABLE is rpc-bench's markdown output; RUN_DIR holds TOOL.txt (the lines above) and
      TOOL.measures ("wall_s cpu_s peak_rss_mib" of the tool's process) for relief, rpcm and
      shareloc, and TOOL.note for a tool that did not run. Prints the speed table, then the
      processes' table.
"""
import os
import sys
import time

PEERS = ("rpcm", "shareloc")
RUNS = {"rpcm": (5, 1), "shareloc": (11, 5)}  # best of N: ground->image, image->ground
RELIEF_RUNS = "21 + 11 (array API) ground->image, 11 + 7 image->ground"  # as in rpc-bench/main.swift


def best(runs, fn):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def time_tool(tool, points_dir, models):
    import numpy as np

    if tool == "rpcm":
        import rpcm
    else:
        from shareloc.geomodels import GeoModel
    runs_p, runs_l = RUNS[tool]
    for name, path in models:
        pts = np.fromfile(os.path.join(points_dir, name + ".f64")).reshape(-1, 5)
        col, row, h, lon, lat = (np.ascontiguousarray(pts[:, k]) for k in range(5))
        if tool == "rpcm":
            if path.lower().endswith((".tif", ".tiff", ".ntf")):
                r = rpcm.rpc_from_geotiff(path)
            else:
                r = rpcm.rpc_from_rpc_file(path)
            t_p, (c, rr) = best(runs_p, lambda: r.projection(lon, lat, h))
            t_l, (lo, la) = best(runs_l, lambda: r.localization(col, row, h))
        else:
            g = GeoModel(path, "RPC")
            # Warm-up (numba JIT compilation is not timed).
            g.inverse_loc(lon[:100], lat[:100], h[:100])
            g.direct_loc_h(row[:100] + 0.5, col[:100] + 0.5, h[:100])
            t_p, (rr, c, _) = best(runs_p, lambda: g.inverse_loc(lon, lat, h))
            c, rr = c - 0.5, rr - 0.5
            t_l, p = best(runs_l, lambda: g.direct_loc_h(row + 0.5, col + 0.5, h))
            lo, la = p[:, 0], p[:, 1]
        # Agreement with our points (the ground points come from our localisation).
        d_p = max(np.nanmax(np.abs(c - col)), np.nanmax(np.abs(rr - row)))
        d_l = max(np.nanmax(np.abs(lo - lon)), np.nanmax(np.abs(la - lat)))
        print(name, "ground->image", t_p, d_p)
        print(name, "image->ground", t_l, d_l)


def read_lines(path):
    out = {}
    if os.path.exists(path):
        for line in open(path):
            name, direction, seconds, diff = line.split()
            out[(name, direction)] = (float(seconds), float(diff))
    return out


def table(ours_table, run_dir, models):
    ours = {}
    for line in open(ours_table):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 6 and cells[2].isdigit():
            ours[(cells[0], cells[1])] = (int(cells[2]), float(cells[3]), float(cells[5]))
    peers = {tool: read_lines(os.path.join(run_dir, tool + ".txt")) for tool in PEERS}

    def fmt(x, spec):
        return "-" if x is None else format(x, spec)

    print("| model | direction | points | Relief s (array API) | rpcm 1.4.10 s | shareloc 0.3.0 s | Relief pts/s "
          "| rpcm pts/s | shareloc pts/s | vs shareloc (array API) | vs rpcm | max difference to Relief: rpcm / shareloc |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for name, _ in models:
        for direction, unit in (("ground->image", "px"), ("image->ground", "deg")):
            n, t_ours, t_arrays = ours[(name, direction)]
            t_r, d_r = peers["rpcm"].get((name, direction), (None, None))
            t_s, d_s = peers["shareloc"].get((name, direction), (None, None))
            vs_s = "-" if t_s is None else f"{t_s / t_ours:.1f}x ({t_s / t_arrays:.1f}x)"
            vs_r = "-" if t_r is None else f"{t_r / t_ours:.0f}x"
            print(f"| {name} | {direction} | {n} | {t_ours:.4f} ({t_arrays:.4f}) | {fmt(t_r, '.4f')} | {fmt(t_s, '.4f')} "
                  f"| {n / t_ours:.3g} | {fmt(t_r and n / t_r, '.3g')} | {fmt(t_s and n / t_s, '.3g')} | {vs_s} "
                  f"| {vs_r} | {fmt(d_r, '.1e')} / {fmt(d_s, '.1e')} {unit} |")
    print()
    print("Each tool in its own process under `/usr/bin/time` (whole process: interpreter or binary start, model and")
    print("points loading, warm-up, every timed run and the checks; Relief's also draws the points and localises them once):")
    print()
    print("| tool | timed runs per model | process wall s | process CPU s (user + sys) | peak RSS MiB |")
    print("| --- | --- | ---: | ---: | ---: |")
    for tool, label, runs in (("relief", "Relief rpc-bench", RELIEF_RUNS),
                              ("rpcm", "rpcm 1.4.10", "%d ground->image, %d image->ground" % RUNS["rpcm"]),
                              ("shareloc", "shareloc 0.3.0", "%d ground->image, %d image->ground (+ JIT warm-up)" % RUNS["shareloc"])):
        measures = os.path.join(run_dir, tool + ".measures")
        note = os.path.join(run_dir, tool + ".note")
        if os.path.exists(note):
            print(f"| {label} | not run: {open(note).read().strip()} | - | - | - |")
        elif os.path.exists(measures):
            wall, cpu, rss = open(measures).read().split()
            print(f"| {label} | {runs} | {wall} | {cpu} | {rss} |")


def main():
    mode = sys.argv[1]
    if mode == "time":
        time_tool(sys.argv[2], sys.argv[3], [a.split("=", 1) for a in sys.argv[4:]])
    elif mode == "table":
        table(sys.argv[2], sys.argv[3], [a.split("=", 1) for a in sys.argv[4:]])
    else:
        sys.exit(f"rpc-bench.py: unknown mode {mode!r} (expected time or table)")


if __name__ == "__main__":
    main()
