#!/usr/bin/env python3
"""Splits a LAS 1.4 point cloud written by `dsm-run dsm --points` (format 6, point source ID =
pair + 1) into one binary PLY per pair, with the `projection: CRS epsg:N` comment that
`dsm-run rasterize` reads, so that each pair of a multi-view run can be rasterised and compared
on its own. Usage: las_pairs.py CLOUD.las EPSG OUTPREFIX -> OUTPREFIX.pairK.ply for each K."""
import struct
import sys

import numpy as np


def main():
    path, epsg, prefix = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"LASF":
        sys.exit(f"{path}: not a LAS file")
    offset = struct.unpack_from("<I", data, 96)[0]
    fmt = data[104] & 0x3F
    length = struct.unpack_from("<H", data, 105)[0]
    count = struct.unpack_from("<Q", data, 247)[0]
    scale = struct.unpack_from("<3d", data, 131)
    origin = struct.unpack_from("<3d", data, 155)
    if fmt != 6:
        sys.exit(f"{path}: point format {fmt}, expected 6")
    dtype = np.dtype([("x", "<i4"), ("y", "<i4"), ("z", "<i4"), ("intensity", "<u2"), ("returns", "<u2"),
                      ("cls", "u1"), ("user", "u1"), ("angle", "<i2"), ("source", "<u2"), ("time", "<f8")])
    assert dtype.itemsize == 30 and length >= 30
    raw = np.frombuffer(data, dtype=np.dtype((np.void, length)), count=count, offset=offset)
    points = np.frombuffer(raw.tobytes(), dtype=np.dtype({"names": dtype.names, "formats": [dtype.fields[n][0] for n in dtype.names],
                                                           "offsets": [dtype.fields[n][1] for n in dtype.names], "itemsize": length}))
    xyz = np.stack([points["x"] * scale[0] + origin[0], points["y"] * scale[1] + origin[1],
                    points["z"] * scale[2] + origin[2]], axis=1)
    for source in np.unique(points["source"]):
        sel = xyz[points["source"] == source]
        out = f"{prefix}.pair{source}.ply"
        header = ("ply\nformat binary_little_endian 1.0\n"
                  f"comment projection: CRS epsg:{epsg}\n"
                  f"element vertex {len(sel)}\nproperty double x\nproperty double y\nproperty double z\nend_header\n")
        with open(out, "wb") as f:
            f.write(header.encode())
            f.write(sel.astype("<f8").tobytes())
        print(out, len(sel))


if __name__ == "__main__":
    main()
