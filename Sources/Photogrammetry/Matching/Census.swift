// Census transform (Zabih & Woodfill, "Non-parametric local transforms for computing visual
// correspondence", ECCV 1994): each pixel becomes a bit string saying which neighbours in a
// window are darker than it. Matching cost = Hamming distance of two codes (`CostVolume.swift`).

/// The census codes of a `width x height` image, row-major, one `UInt64` per pixel.
///
/// Bit `k` of a code is set when the `k`-th window neighbour (scan order: rows top to bottom,
/// columns left to right, the centre skipped) is strictly darker than the centre. Neighbours
/// outside the image and NaN pixels (nodata) compare as "not darker" (bit 0); a NaN centre gives
/// code 0 (such pixels are masked out of matching by `validity`).
///
/// SIMD kernel: 8 pixels per step in `SIMD8<Float>` / `SIMD8<UInt32>` lanes over a NaN-padded copy,
/// so the loop has no border test. `censusTransformReference` is the plain version; both give
/// identical codes (tested bit for bit).
///
/// - Parameters:
///   - pixels: row `y` starts at `y * rowStride`.
///   - windowWidth, windowHeight: odd, `windowWidth * windowHeight - 1 <= 64`.
/// - Complexity: O(W·H·w·h) time, O(W·H) extra memory (the padded copy).
func censusTransform(
    _ pixels: UnsafeBufferPointer<Float>, width: Int, height: Int, rowStride: Int,
    windowWidth: Int, windowHeight: Int
) -> [UInt64] {
    var codes: [UInt64] = [], padded: [Float] = []
    censusTransform(pixels, width: width, height: height, rowStride: rowStride, windowWidth: windowWidth,
                    windowHeight: windowHeight, into: &codes, padded: &padded)
    return codes
}

/// `censusTransform`, writing the codes to `codes` (resized to `width * height`) and using
/// `padded` as the padded copy: both reuse their storage when it is unique and large enough.
func censusTransform(
    _ pixels: UnsafeBufferPointer<Float>, width: Int, height: Int, rowStride: Int,
    windowWidth: Int, windowHeight: Int, into codes: inout [UInt64], padded: inout [Float]
) {
    precondition(windowWidth % 2 == 1 && windowHeight % 2 == 1 && windowWidth * windowHeight - 1 <= 64)
    codes.removeAll(keepingCapacity: true)
    guard width > 0, height > 0 else { return }
    let rx = windowWidth / 2, ry = windowHeight / 2
    let lanes = 8
    let paddedWidth = width + 2 * rx + lanes
    let paddedHeight = height + 2 * ry
    refill(&padded, count: paddedWidth * paddedHeight, with: .nan)
    padded.withUnsafeMutableBufferPointer { padded in
        for y in 0..<height {
            for x in 0..<width { padded[(y + ry) * paddedWidth + x + rx] = pixels[y * rowStride + x] }
        }
    }
    // Offsets of the neighbours in scan order, relative to the centre, in the padded image.
    var offsets: [Int] = []
    for dy in -ry...ry {
        for dx in -rx...rx where !(dx == 0 && dy == 0) { offsets.append(dy * paddedWidth + dx) }
    }
    refill(&codes, count: width * height, with: 0)
    let lowCount = min(offsets.count, 32)
    padded.withUnsafeBufferPointer { src in
    offsets.withUnsafeBufferPointer { offsets in
        codes.withUnsafeMutableBufferPointer { out in
            let base = UnsafeRawPointer(src.baseAddress!)
            let floatSize = MemoryLayout<Float>.stride
            for y in 0..<height {
                var x = 0
                while x < width {
                    let centreIndex = (y + ry) * paddedWidth + x + rx
                    let centre = base.loadUnaligned(fromByteOffset: centreIndex * floatSize, as: SIMD8<Float>.self)
                    var lo = SIMD8<UInt32>(repeating: 0)
                    var hi = SIMD8<UInt32>(repeating: 0)
                    // Bits 0..<32, then 32..<64: no per-neighbour branch in either loop.
                    for k in 0..<lowCount {
                        let neighbour = base.loadUnaligned(fromByteOffset: (centreIndex + offsets[k]) * floatSize, as: SIMD8<Float>.self)
                        lo.replace(with: lo | SIMD8<UInt32>(repeating: 1 << UInt32(k)), where: neighbour .< centre)
                    }
                    for k in lowCount..<offsets.count {
                        let neighbour = base.loadUnaligned(fromByteOffset: (centreIndex + offsets[k]) * floatSize, as: SIMD8<Float>.self)
                        hi.replace(with: hi | SIMD8<UInt32>(repeating: 1 << UInt32(k - 32)), where: neighbour .< centre)
                    }
                    let count = min(lanes, width - x)
                    for lane in 0..<count {
                        out[y * width + x + lane] = UInt64(hi[lane]) << 32 | UInt64(lo[lane])
                    }
                    x += lanes
                }
            }
        }
    }
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
