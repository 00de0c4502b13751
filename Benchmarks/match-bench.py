"""OpenCV StereoSGBM side of Benchmarks/match-bench.sh.

  python match-bench.py opencv MODE LEFT RIGHT NDISP REPEATS [GT OCCLUSION]
      times cv2.StereoSGBM (MODE = SGBM or SGBM_3WAY, 2 threads) with the issue's parameters,
      prints one line: name=value pairs (seconds = best of REPEATS, peak_mib = ru_maxrss).
  python match-bench.py table RESULTS_FILE
      formats the collected lines (ours and OpenCV's) as the Markdown table.
"""
import resource
import sys
import time


def opencv(mode, left_path, right_path, ndisp, repeats, gt_path=None, occ_path=None):
    import cv2
    import numpy as np

    cv2.setNumThreads(2)
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
    left = cv2.imread(left_path, cv2.IMREAD_GRAYSCALE)
    right = cv2.imread(right_path, cv2.IMREAD_GRAYSCALE)
    block = 5
    sgbm = cv2.StereoSGBM_create(
        minDisparity=0, numDisparities=ndisp, blockSize=block,
        P1=8 * block * block, P2=32 * block * block, disp12MaxDiff=1,
        uniquenessRatio=5, speckleWindowSize=100, speckleRange=2,
        mode=getattr(cv2, "STEREO_SGBM_MODE_" + mode))
    best = cpu = float("inf")
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        disp = sgbm.compute(left, right)
        best = min(best, time.perf_counter() - t0)
        cpu = min(cpu, time.process_time() - c0)  # CPU seconds of all threads
    h, w = left.shape
    line = f"tool=opencv-{mode} size={w}x{h} ndisp={ndisp} seconds={best:.4f} " \
           f"throughput={w * h * ndisp / best / 1e9:.3f} peak_mib={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} " \
           f"cpu={cpu:.4f}"
    if gt_path:
        d = disp.astype(np.float32) / 16.0
        d[disp < 0] = np.nan  # OpenCV marks invalid pixels with minDisparity - 1 (times 16)
        gt = cv2.imread(gt_path, cv2.IMREAD_UNCHANGED).astype(np.float32)
        if occ_path:
            from PIL import Image  # the mask is a palette PNG: its indices (0/1), not its colours
            occ = np.array(Image.open(occ_path))
            known = (gt > 0) & (occ == 1)
        else:
            known = np.isfinite(gt)  # synthetic truth: NaN where unknown
        bad = known & (np.isnan(d) | (np.abs(d - gt) > 1))
        line += f" bad1={100 * bad.sum() / known.sum():.2f} density={100 * (~np.isnan(d)).mean():.2f}"
    print(line)


def table(path):
    runs = [dict(kv.split("=", 1) for kv in line.split()) for line in open(path) if line.startswith("tool=")]
    # Several rounds: per (tool, pair) the run with the least wall time, its CPU time the least seen.
    rows, index = [], {}
    for r in runs:
        key = (r["tool"], r["size"], r["ndisp"])
        if key not in index:
            index[key] = len(rows)
            rows.append(r)
            continue
        best = rows[index[key]]
        cpu = min(float(x["cpu"]) for x in (best, r) if "cpu" in x) if "cpu" in r or "cpu" in best else None
        if float(r["seconds"]) < float(best["seconds"]):
            rows[index[key]] = best = dict(r)
        if cpu is not None:
            best["cpu"] = f"{cpu:.4f}"
    cases = []
    for r in rows:
        key = (r["size"], r["ndisp"])
        if key not in cases:
            cases.append(key)
    print("| pair | tool | time (s) | Gpx·disp/s | vs SGBM_3WAY | CPU time (s) | vs SGBM_3WAY, CPU time | peak memory (MiB) | bad-1px % | density % |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for size, ndisp in cases:
        group = [r for r in rows if (r["size"], r["ndisp"]) == (size, ndisp)]
        ref = next((float(r["throughput"]) for r in group if r["tool"] == "opencv-SGBM_3WAY"), None)
        ref_cpu = next((float(r["cpu"]) for r in group if r["tool"] == "opencv-SGBM_3WAY" and "cpu" in r), None)
        for r in group:
            ratio = f"{float(r['throughput']) / ref:.2f}x" if ref else "-"
            cpu_ratio = f"{ref_cpu / float(r['cpu']):.2f}x" if ref_cpu and "cpu" in r else "-"
            print(f"| {size} D={ndisp} | {r['tool']} | {r['seconds']} | {r['throughput']} | {ratio} | {r.get('cpu', '-')} | "
                  f"{cpu_ratio} | {r['peak_mib']} | {r.get('bad1', '-')} | {r.get('density', '-')} |")


if __name__ == "__main__":
    if sys.argv[1] == "opencv":
        args = sys.argv[2:]
        opencv(args[0], args[1], args[2], int(args[3]), int(args[4]), *(args[5:7]))
    else:
        table(sys.argv[2])
