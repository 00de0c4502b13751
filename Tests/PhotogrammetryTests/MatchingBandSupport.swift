@testable import Photogrammetry

// Test support for per-pixel disparity windows (`DisparityBand`, BandedSearch.swift): the plain
// Int reference of banded SGM aggregation, banded cost volumes and offset patterns.

/// Plain banded SGM (Hirschmüller 2008, eq. 13-14) over per-pixel windows, straight from the
/// definition and independent of the kernels' slot layout, shift clamping and sentinels: pixel p
/// holds disparity indices `offsets[p] ..< offsets[p] + bandWidth` of the range. Along each
/// direction r, with q = p - r and j = offsets[p] + i - offsets[q] (the same disparity in q's window),
///   L_r(p, i) = C(p, i) + min(L_r(q, j), L_r(q, j ± 1) + P1, min_k L_r(q, k) + P2) - min_k L_r(q, k),
/// where the terms whose index j, j - 1 or j + 1 falls outside q's window `0..<bandWidth` are left
/// out (they are unreachable, as d - 1 / d + 1 outside the range in `sgmAggregateReference`); only
/// the P2 term reaches a disparity q's window misses. Returns S for cells `0..<bandWidth`, packed
/// `(y * width + x) * bandWidth + i`.
/// - Complexity: O(W·H·w·paths) time, O(W·H·w) memory.
func sgmAggregateBandedReference(
    costs: [UInt8], width: Int, height: Int, bandWidth: Int, offsets: [Int32], intensity: [Float],
    p1: Int, p2: Int, gradientScale: Float?, paths: SGMPaths
) -> [Int] {
    precondition(costs.count == width * height * bandWidth && offsets.count == width * height)
    let w = bandWidth
    var total = [Int](repeating: 0, count: width * height * w)
    let directions = sgmDirections(paths, forward: true) + sgmDirections(paths, forward: false)
    for direction in directions {
        var path = [Int](repeating: 0, count: width * height * w)
        let forward = direction.dy < 0 || (direction.dy == 0 && direction.dx < 0)
        for step in 0..<(width * height) {
            let pixel = forward ? step : width * height - 1 - step
            let x = pixel % width, y = pixel / width
            let px = x + direction.dx, py = y + direction.dy
            let base = pixel * w
            guard px >= 0 && px < width && py >= 0 && py < height else {
                for i in 0..<w { path[base + i] = Int(costs[base + i]) }
                continue
            }
            let q = py * width + px
            let penalty = gradientScale == nil ? p2
                : effectiveP2(p1: p1, p2: p2, gradientScale: gradientScale, intensity[pixel], intensity[q])
            let previous = q * w
            var previousMin = Int.max
            for k in 0..<w { previousMin = min(previousMin, path[previous + k]) }
            let shift = Int(offsets[pixel]) - Int(offsets[q])
            for i in 0..<w {
                let j = i + shift
                var best = previousMin + penalty
                if (0..<w).contains(j) { best = min(best, path[previous + j]) }
                if (0..<w).contains(j - 1) { best = min(best, path[previous + j - 1] + p1) }
                if (0..<w).contains(j + 1) { best = min(best, path[previous + j + 1] + p1) }
                path[base + i] = Int(costs[base + i]) + best - previousMin
            }
        }
        for i in 0..<total.count { total[i] += path[i] }
    }
    return total
}

/// A banded cost volume (`reshape(..., band:)`) over `span` disparities from `minDisparity`, its
/// cells random in `0...maxCost`, and the same costs packed `pixel * bandWidth + i`.
func randomBandedVolume(width: Int, height: Int, minDisparity: Int, span: Int, band: DisparityBand, maxCost: Int,
                        rng: inout SplitMix64) -> (CostVolume, [UInt8]) {
    let volume = CostVolume()
    volume.reshape(width: width, height: height, minDisparity: minDisparity, count: span, band: band)
    precondition(volume.count == band.width && volume.stride == band.width && volume.span == span && volume.offsets != nil)
    var packed = [UInt8](repeating: 0, count: width * height * band.width)
    for cell in 0..<(width * height * band.width) {
        let c = UInt8.random(in: 0...UInt8(maxCost), using: &rng)
        volume.cells[cell] = c
        packed[cell] = c
    }
    return (volume, packed)
}

/// Patterns of window offsets for kernel sweeps, each in `0...span - bandWidth`.
enum OffsetPattern: String, CaseIterable, CustomStringConvertible {
    /// Every pixel the same offset (the banded volume is then a full volume over a sub-range).
    case equal
    /// A slow ramp plus ±1 jitter: neighbours' windows overlap almost entirely.
    case smooth
    /// Independent uniform offsets: many jumps larger than the window (|shift| > stride + 1).
    case random
    /// Jumps of exactly 1, w - 1, w, w + 1, w + 2 (around the kernels' clamp at stride + 1) and
    /// their negatives between horizontal and vertical neighbours (where the span allows).
    case clampEdges

    var description: String { rawValue }

    func offsets(width: Int, height: Int, span: Int, bandWidth: Int, rng: inout SplitMix64) -> [Int32] {
        let last = span - bandWidth
        precondition(last >= 0)
        var out = [Int32](repeating: 0, count: width * height)
        let constant = Int.random(in: 0...last, using: &rng)
        for y in 0..<height {
            for x in 0..<width {
                let value: Int
                switch self {
                case .equal:
                    value = constant
                case .smooth:
                    value = constant + (x + 2 * y) / 3 - (x * y) % 5 / 4 + Int.random(in: -1...1, using: &rng)
                case .random:
                    value = Int.random(in: 0...last, using: &rng)
                case .clampEdges:
                    let jumps = [0, bandWidth - 1, bandWidth, bandWidth + 1, bandWidth + 2, 1]
                    // Horizontal and vertical neighbours: one at 0, the other at a jump.
                    value = (x + y) % 2 == 0 ? 0 : jumps[(x / 2 + y / 2) % jumps.count]
                }
                out[y * width + x] = Int32(min(max(value, 0), last))
            }
        }
        return out
    }
}
