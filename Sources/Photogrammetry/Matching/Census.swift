// Census transform (Zabih & Woodfill, "Non-parametric local transforms for computing visual
// correspondence", ECCV 1994): each pixel becomes a bit string saying which neighbours in a
// window are darker than it. Matching cost = Hamming distance of two codes (`CostVolume.swift`).

import CStereoKernels

/// The census codes of a `width x height` image, row-major, one `UInt64` per pixel.
///
/// Bit `k` of a code is set when the `k`-th window neighbour (scan order: rows top to bottom,
/// columns left to right, the centre skipped) is strictly darker than the centre. Neighbours
/// outside the image and NaN pixels (nodata) compare as "not darker" (bit 0); a NaN centre gives
/// code 0 (such pixels are masked out of matching by `validity`).
///
/// Kernel: the C `relief_census` (AVX2, 8 pixels per step where the whole window is inside the
/// image; the plain loop at the borders and without AVX2). `censusTransformReference` is the
/// plain Swift version; both give identical codes (tested bit for bit, each instruction set).
///
/// - Parameters:
///   - pixels: row `y` starts at `y * rowStride`.
///   - windowWidth, windowHeight: odd, `windowWidth * windowHeight - 1 <= 64`.
/// - Complexity: O(W·H·w·h) time.
func censusTransform(
    _ pixels: UnsafeBufferPointer<Float>, width: Int, height: Int, rowStride: Int,
    windowWidth: Int, windowHeight: Int
) -> [UInt64] {
    var codes: [UInt64] = []
    censusTransform(pixels, width: width, height: height, rowStride: rowStride, windowWidth: windowWidth,
                    windowHeight: windowHeight, into: &codes)
    return codes
}

/// `censusTransform`, writing the codes to `codes` (resized to `width * height`; its storage
/// reused when it is unique and large enough).
func censusTransform(
    _ pixels: UnsafeBufferPointer<Float>, width: Int, height: Int, rowStride: Int,
    windowWidth: Int, windowHeight: Int, into codes: inout [UInt64]
) {
    precondition(windowWidth % 2 == 1 && windowHeight % 2 == 1 && windowWidth * windowHeight - 1 <= 64)
    guard width > 0, height > 0 else { codes.removeAll(keepingCapacity: true); return }
    precondition(pixels.count >= (height - 1) * rowStride + width)
    // Every code is written by the kernel: no refill when the size is unchanged (tile after tile).
    if codes.count != width * height { refill(&codes, count: width * height, with: 0) }
    codes.withUnsafeMutableBufferPointer { out in
        relief_census(pixels.baseAddress!, Int32(width), Int32(height), Int32(rowStride), Int32(windowWidth),
                      Int32(windowHeight), out.baseAddress!, ReliefKernelAuto)
    }
}

/// Plain version of `censusTransform` (same contract, same codes): one pixel and one neighbour
/// at a time, with explicit border tests.
/// - Complexity: O(W·H·w·h) time.
func censusTransformReference(
    _ pixels: UnsafeBufferPointer<Float>, width: Int, height: Int, rowStride: Int,
    windowWidth: Int, windowHeight: Int
) -> [UInt64] {
    let rx = windowWidth / 2, ry = windowHeight / 2
    var codes = [UInt64](repeating: 0, count: width * height)
    for y in 0..<height {
        for x in 0..<width {
            let centre = pixels[y * rowStride + x]
            var code: UInt64 = 0
            var k: UInt64 = 0
            for dy in -ry...ry {
                for dx in -rx...rx {
                    if dx == 0 && dy == 0 { continue }
                    let nx = x + dx, ny = y + dy
                    if nx >= 0 && nx < width && ny >= 0 && ny < height && pixels[ny * rowStride + nx] < centre {
                        code |= 1 << k
                    }
                    k += 1
                }
            }
            codes[y * width + x] = code
        }
    }
    return codes
}
