// Sub-pixel refinement of the integer winner.
//
// Fits on the aggregated costs S at d-1, d, d+1 are cheap but biased towards integers
// ("pixel locking", Shimizu & Okutomi, "Sub-pixel estimation error cancellation on area-based
// matching", IJCV 63(3), 2005), for two reasons:
// - a parabola fitted to a V-shaped curve (census and absolute-difference costs are locally
//   linear in |d - d*|): on an exact V with true offset δ in [0, 0.5] it returns δ / (2 (1 - δ)),
//   e.g. 0.167 for δ = 0.25 (bias -0.083 px); the V (equiangular) fit is exact on such a curve;
// - the SGM penalty P1 itself, which adds the same amount at d-1 and d+1 along every path and so
//   flattens the asymmetry both fits read.
// Measured on the eight Sentinel-2 pairs shifted by 0.25 / 0.5 px (`MatchingAccuracyTests`): the V
// fit on S is off by ~0.12-0.16 px at 0.25 px, the parabola on S by ~0.16-0.19 px, both ~0.005 px
// at 0.5 px (where the curve is symmetric). Hence the window refinements: the offset is measured
// again on the intensities of a 5x5 window (`subpixelWindowSSD`), a parabola on the window SSD
// then one Gauss-Newton step on the linearly interpolated right image: within 0.035 px on all
// eight (7x7: 0.031 px, for 40 % more time). Plain SSD is thrown off by a brightness difference
// between the views: on the Réunion Pléiades pair its DSM is worse than no refinement at all
// (NMAD vs s2p 0.85 m, none 0.68 m, V fit 0.34 m). The default, `SubpixelMethod.windowZSSD`,
// removes each window's mean difference: S2 within 0.037 px, Cones bad-1px 5.85 % (SSD 6.02 %,
// V fit 5.64 %), Réunion DSM NMAD 0.43 m (measured 2026-11-25, `match-bench subpixel` and
// `dsm-run dsm --subpixel`). The V fit stays the better choice for the DSM pipeline.

/// Offset in (-0.5, 0.5) of the minimum of the parabola through (-1, minus), (0, centre), (1, plus).
/// 0 when the three points are not a strict minimum.
@inline(__always)
public func subpixelParabola(minus: Float, centre: Float, plus: Float) -> Float {
    let curvature = minus - 2 * centre + plus
    guard curvature > 0 else { return 0 }
    let offset = (minus - plus) / (2 * curvature)
    return min(max(offset, -0.5), 0.5)
}

/// Offset in [-0.5, 0.5] of the vertex of the symmetric V (equal slopes) through (-1, minus),
/// (0, centre), (1, plus): `(minus - plus) / (2 (max(minus, plus) - centre))`.
/// 0 when the three points are not a minimum.
@inline(__always)
public func subpixelEquiangular(minus: Float, centre: Float, plus: Float) -> Float {
    let slope = max(minus, plus) - centre
    guard slope > 0 else { return 0 }
    let offset = (minus - plus) / (2 * slope)
    return min(max(offset, -0.5), 0.5)
}

extension SubpixelMethod {
    /// The refinement offset for the three costs around the winner.
    @inline(__always)
    func offset(minus: Float, centre: Float, plus: Float) -> Float {
        switch self {
        case .none: return 0
        case .parabola: return subpixelParabola(minus: minus, centre: centre, plus: plus)
        case .equiangular, .windowSSD, .windowZSSD: return subpixelEquiangular(minus: minus, centre: centre, plus: plus)
        }
    }
}

/// Sub-pixel offset of the match of left (x, y) at integer disparity `d`, measured on the
/// intensities of a (2r+1)² window rather than on the aggregated costs (the plain version of
/// `subpixelWindowSSDVector`):
/// 1. a parabola through the window's mean squared differences at d-1, d, d+1 (a start);
/// 2. `iterations` Gauss-Newton steps (default 1) on the same squared differences with the right image
///    linearly interpolated at x - D (the 1-D Lucas-Kanade update, Lucas & Kanade 1981):
///    `ΔD = -Σ e g / Σ g²`, `e = L(p) - R(x - D)`, `g = ∂e/∂D = R'(x - D)`, the derivative of
///    the linear interpolant (so a step is exact Newton on it while the shift stays in one pixel).
/// Step 2 removes most of the parabola's pull towards integers on smooth imagery. NaN pixels are
/// skipped. Returns an offset in [-0.5, 0.5] (the integer winner is kept), or nil when a window has no valid pair.
///
/// With `zeroMean` (ZSSD) the window's mean difference is removed: step 1 fits the variances of
/// the differences, `Σe²/n - (Σe/n)²`, and step 2 is `ΔD = -(Σeg - ΣeΣg/n) / (Σg² - (Σg)²/n)`, so a
/// brightness offset between the views does not move the estimate.
/// - Complexity: O(iterations · (2r+1)²).
func subpixelWindowSSD(left: UnsafePointer<Float>, right: UnsafePointer<Float>, width: Int, height: Int,
                       x: Int, y: Int, disparity d: Int, radius: Int, iterations: Int = 1,
                       zeroMean: Bool = false) -> Float? {
    var sums: (Float, Float, Float) = (0, 0, 0)
    var firsts: (Float, Float, Float) = (0, 0, 0)  // sums of the differences, for zeroMean
    var counts: (Int, Int, Int) = (0, 0, 0)
    let y0 = max(0, y - radius), y1 = min(height - 1, y + radius)
    let x0 = max(0, x - radius), x1 = min(width - 1, x + radius)
    for wy in y0...y1 {
        for wx in x0...x1 {
            let l = left[wy * width + wx]
            guard !l.isNaN else { continue }
            let row = wy * width
            let xr = wx - d
            if xr + 1 < width && xr + 1 >= 0 {
                let r = right[row + xr + 1]
                if !r.isNaN { sums.0 += (l - r) * (l - r); firsts.0 += l - r; counts.0 += 1 }  // d - 1
            }
            if xr < width && xr >= 0 {
                let r = right[row + xr]
                if !r.isNaN { sums.1 += (l - r) * (l - r); firsts.1 += l - r; counts.1 += 1 }
            }
            if xr - 1 < width && xr - 1 >= 0 {
                let r = right[row + xr - 1]
                if !r.isNaN { sums.2 += (l - r) * (l - r); firsts.2 += l - r; counts.2 += 1 }  // d + 1
            }
        }
    }
    guard counts.0 > 0, counts.1 > 0, counts.2 > 0 else { return nil }
    let n = (Float(counts.0), Float(counts.1), Float(counts.2))
    var offset = zeroMean
        ? subpixelParabola(minus: zeroMeanSSD(sums.0, firsts.0, n.0), centre: zeroMeanSSD(sums.1, firsts.1, n.1),
                           plus: zeroMeanSSD(sums.2, firsts.2, n.2))
        : subpixelParabola(minus: sums.0 / n.0, centre: sums.1 / n.1, plus: sums.2 / n.2)
    for _ in 0..<iterations {
        let shift = Float(d) + offset
        var eg: Float = 0, gg: Float = 0, e: Float = 0, g: Float = 0, used: Float = 0
        for wy in y0...y1 {
            let row = wy * width
            for wx in x0...x1 {
                let l = left[row + wx]
                // Right samples at xr - 1, xr, xr + 1 (linear interpolation).
                let xr = Float(wx) - shift
                let i = Int(xr.rounded(.down))
                guard !l.isNaN, i >= 0, i + 1 < width else { continue }
                let t = xr - Float(i)
                let b = right[row + i], c = right[row + i + 1]
                let r = b + t * (c - b)
                let gradient = c - b  // derivative of the linear interpolant
                let residual = l - r
                guard !residual.isNaN, !gradient.isNaN else { continue }
                eg += residual * gradient
                gg += gradient * gradient
                e += residual
                g += gradient
                used += 1
            }
        }
        if zeroMean && used > 0 {
            eg -= e * g / used
            gg -= g * g / used
        }
        guard gg > 0 else { break }
        offset += min(max(-eg / gg, -0.5), 0.5)
        offset = min(max(offset, -0.5), 0.5)
    }
    return offset
}

/// The mean squared zero-mean difference of a window from the sums of the squared differences
/// (`squares`) and of the differences (`firsts`) over `n` pixels: `squares/n - (firsts/n)²`.
@inline(__always)
func zeroMeanSSD(_ squares: Float, _ firsts: Float, _ n: Float) -> Float {
    let mean = firsts / n
    return squares / n - mean * mean
}

/// Sum of the eight lanes, pairwise (the standard library's `sum()` reduction was left as a call).
@inline(__always)
func horizontalSum(_ v: SIMD8<Float>) -> Float {
    // The order of the C kernel's HADDPS rounds (`relief_subpixel_window`): equal bit for bit.
    ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]))
}

/// `subpixelWindowSSD` for radius 1, 2 or 3, vectorised: one window row per step in
/// `SIMD8<Float>` (lanes past the window are summed and dropped at the end), the right samples of
/// a row as unaligned loads since all window pixels share the fractional part of the shift. Falls
/// back to the plain `subpixelWindowSSD` near the image borders and when the loaded pixels hold a
/// NaN. Equal to it within float rounding (sums taken in another order; tested to 1e-4 px).
/// - Complexity: O(iterations · (2r+1)) vector steps.
@inline(__always)
func subpixelWindowSSDVector(left: UnsafePointer<Float>, right: UnsafePointer<Float>, width: Int, height: Int,
                             x: Int, y: Int, disparity d: Int, radius: Int, iterations: Int = 1,
                             zeroMean: Bool = false) -> Float? {
    precondition((1...3).contains(radius))
    let x0 = x - radius
    guard y >= radius, y + radius < height, x0 >= 0, x0 + 8 <= width, x0 - d - 1 >= 0, x0 - d + 9 <= width else {
        return subpixelWindowSSD(left: left, right: right, width: width, height: height, x: x, y: y,
                                 disparity: d, radius: radius, iterations: iterations, zeroMean: zeroMean)
    }
    let side = 2 * radius + 1
    let outside = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7) .>= SIMD8<Int32>(repeating: Int32(side))
    let l = UnsafeRawPointer(left), r = UnsafeRawPointer(right)
    let size = MemoryLayout<Float>.stride
    let first = (y &- radius) &* width &+ x0
    var minus = SIMD8<Float>(repeating: 0), centre = minus, plus = minus
    var minus1 = minus, centre1 = minus, plus1 = minus  // sums of the differences (zeroMean)
    for row in 0..<side {
        let start = first &+ row &* width
        let a = l.loadUnaligned(fromByteOffset: start &* size, as: SIMD8<Float>.self)
        let rm = r.loadUnaligned(fromByteOffset: (start &- d &+ 1) &* size, as: SIMD8<Float>.self)
        let r0 = r.loadUnaligned(fromByteOffset: (start &- d) &* size, as: SIMD8<Float>.self)
        let rp = r.loadUnaligned(fromByteOffset: (start &- d &- 1) &* size, as: SIMD8<Float>.self)
        let em = a - rm, e0 = a - r0, ep = a - rp
        minus += em * em
        centre += e0 * e0
        plus += ep * ep
        minus1 += em
        centre1 += e0
        plus1 += ep
    }
    let sums = (horizontalSum(minus.replacing(with: 0, where: outside)),
                horizontalSum(centre.replacing(with: 0, where: outside)),
                horizontalSum(plus.replacing(with: 0, where: outside)))
    guard !sums.0.isNaN, !sums.1.isNaN, !sums.2.isNaN else {
        return subpixelWindowSSD(left: left, right: right, width: width, height: height, x: x, y: y,
                                 disparity: d, radius: radius, iterations: iterations, zeroMean: zeroMean)
    }
    let n = Float(side * side)
    var offset: Float
    if zeroMean {
        offset = subpixelParabola(minus: zeroMeanSSD(sums.0, horizontalSum(minus1.replacing(with: 0, where: outside)), n),
                                  centre: zeroMeanSSD(sums.1, horizontalSum(centre1.replacing(with: 0, where: outside)), n),
                                  plus: zeroMeanSSD(sums.2, horizontalSum(plus1.replacing(with: 0, where: outside)), n))
    } else {
        offset = subpixelParabola(minus: sums.0 / n, centre: sums.1 / n, plus: sums.2 / n)
    }
    for _ in 0..<iterations {
        // Right sample of window pixel wx: xr = wx - shift = wx + k + t, 0 <= t < 1.
        let negative = -(Float(d) + offset)
        let k = Int(negative.rounded(.down))
        let t = SIMD8<Float>(repeating: negative - Float(k))
        var eg = SIMD8<Float>(repeating: 0), gg = eg, e1 = eg, g1 = eg
        for row in 0..<side {
            let start = first &+ row &* width
            let a = l.loadUnaligned(fromByteOffset: start &* size, as: SIMD8<Float>.self)
            let base = (start &+ k) &* size
            let rHere = r.loadUnaligned(fromByteOffset: base, as: SIMD8<Float>.self)
            let rNext = r.loadUnaligned(fromByteOffset: base &+ size, as: SIMD8<Float>.self)
            let gradient = rNext - rHere  // derivative of the linear interpolant
            let residual = a - (rHere + t * gradient)
            eg += residual * gradient
            gg += gradient * gradient
            e1 += residual
            g1 += gradient
        }
        var g2 = horizontalSum(gg.replacing(with: 0, where: outside))
        var eg2 = horizontalSum(eg.replacing(with: 0, where: outside))
        if zeroMean {
            let e = horizontalSum(e1.replacing(with: 0, where: outside)), g = horizontalSum(g1.replacing(with: 0, where: outside))
            eg2 -= e * g / n
            g2 -= g * g / n
        }
        guard g2 > 0 else { break }
        offset += min(max(-eg2 / g2, -0.5), 0.5)
        offset = min(max(offset, -0.5), 0.5)
    }
    return offset
}
