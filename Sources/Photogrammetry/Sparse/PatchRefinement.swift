import Raster

/// A window of an image held in memory with its position in the image (pixel (0, 0) of
/// `pixels` is image pixel `origin`), NaN for nodata and outside the image.
struct ImagePatchSource {
    let pixels: ImageBuffer<Float>
    let origin: (x: Int, y: Int)

    /// Bilinear sample at image coordinates (0-based pixel centres); NaN outside or next to NaN.
    @inline(__always)
    func bilinear(_ x: Double, _ y: Double) -> Float {
        let u = x - Double(origin.x), v = y - Double(origin.y)
        let i = Int(u.rounded(.down)), j = Int(v.rounded(.down))
        guard i >= 0, j >= 0, i + 1 < pixels.width, j + 1 < pixels.height else { return .nan }
        let a = Float(u - Double(i)), b = Float(v - Double(j))
        let p00 = pixels[i, j], p10 = pixels[i + 1, j], p01 = pixels[i, j + 1], p11 = pixels[i + 1, j + 1]
        return (p00 * (1 - a) + p10 * a) * (1 - b) + (p01 * (1 - a) + p11 * a) * b
    }

    @inline(__always)
    func value(_ x: Int, _ y: Int) -> Float {
        let i = x - origin.x, j = y - origin.y
        guard i >= 0, j >= 0, i < pixels.width, j < pixels.height else { return .nan }
        return pixels[i, j]
    }
}

/// The local linear map of reference pixel offsets to secondary pixel offsets around a point at
/// one height (the secondary's projection of the reference's localisation, differentiated).
struct LocalWarp {
    /// Columns: the secondary offset of one reference column, of one reference row.
    var dx: SIMD2<Double>
    var dy: SIMD2<Double>

    func apply(_ u: Double, _ v: Double) -> SIMD2<Double> { dx * u + dy * v }

    /// By central differences of `step` pixels.
    /// - Throws: `RPCError` from localisation.
    static func at(_ p: SIMD2<Double>, height: Double, reference: RPCModel, secondary: RPCModel, step: Double = 4) throws -> LocalWarp {
        func map(_ q: SIMD2<Double>) throws -> SIMD2<Double> {
            let g = try reference.localization(column: q.x, row: q.y, height: height)
            let s = secondary.projection(longitude: g.longitude, latitude: g.latitude, height: height)
            return SIMD2(s.column, s.row)
        }
        let ex = SIMD2(step, 0), ey = SIMD2(0, step)
        return LocalWarp(dx: (try map(p + ex) - map(p - ex)) / (2 * step), dy: (try map(p + ey) - map(p - ey)) / (2 * step))
    }
}

/// Refines a predicted correspondence at full resolution by zero-mean normalised cross-correlation
/// (ZNCC) of a square reference patch (side 2 `radius` + 1, centred on the integer pixel
/// `reference`) with the secondary image warped by the local map `warp` (so that the patch
/// shapes agree despite the views' different scales and shears), searched over integer offsets
/// of ±`search` warped pixels around `predicted`; the best offset is refined by a parabola per
/// axis, then once more by a ±1 search around the refined point (bilinear resampling), which
/// halves the parabola's pull towards whole pixels.
///
/// - Returns: the secondary point and its correlation; nil when a patch holds NaN, the patch is
///   flat, the best correlation is below `minimumCorrelation` or lies on the search border.
/// - Complexity: O((2 search + 1)² (2 radius + 1)²).
func refineCorrespondence(
    reference: ImagePatchSource, secondary: ImagePatchSource, at p1: (x: Int, y: Int), predicted p2: SIMD2<Double>,
    warp: LocalWarp, radius r: Int, search s: Int, minimumCorrelation: Double
) -> (point: SIMD2<Double>, correlation: Double)? {
    let side = 2 * r + 1, n = side * side
    var patch = [Double](repeating: 0, count: n)
    var sum = 0.0
    for v in -r...r {
        for u in -r...r {
            let a = Double(reference.value(p1.x + u, p1.y + v))
            guard !a.isNaN else { return nil }
            patch[(v + r) * side + u + r] = a
            sum += a
        }
    }
    let mean = sum / Double(n)
    var norm = 0.0
    for k in 0..<n { patch[k] -= mean; norm += patch[k] * patch[k] }
    guard norm > 1e-9 * Double(n) * max(1, mean * mean) else { return nil }

    /// The ZNCC over offsets -s...s (both axes) of the secondary warped around `centre`.
    func scores(around centre: SIMD2<Double>, search s: Int) -> [Double] {
        let half = r + s, gridSide = 2 * half + 1
        var grid = [Double](repeating: .nan, count: gridSide * gridSide)
        for j in -half...half {
            for i in -half...half {
                let q = centre + warp.apply(Double(i), Double(j))
                grid[(j + half) * gridSide + i + half] = Double(secondary.bilinear(q.x, q.y))
            }
        }
        let searchSide = 2 * s + 1
        var out = [Double](repeating: -2, count: searchSide * searchSide)
        for b in -s...s {
            for a in -s...s {
                var sw = 0.0, sww = 0.0, spw = 0.0, bad = false
                for v in 0..<side {
                    let row = (b + s + v) * gridSide + a + s
                    for u in 0..<side {
                        let w = grid[row + u]
                        if w.isNaN { bad = true; break }
                        sw += w
                        sww += w * w
                        spw += patch[v * side + u] * w
                    }
                    if bad { break }
                }
                guard !bad else { continue }
                let variance = sww - sw * sw / Double(n)
                guard variance > 0 else { continue }
                out[(b + s) * searchSide + a + s] = spw / (norm * variance).squareRoot()
            }
        }
        return out
    }

    /// The parabola vertex through (-1, a), (0, b), (1, c), clamped to ±0.5.
    func vertex(_ a: Double, _ b: Double, _ c: Double) -> Double {
        let curvature = a - 2 * b + c
        guard curvature < 0, a > -2, c > -2 else { return 0 }
        return min(0.5, max(-0.5, 0.5 * (a - c) / curvature))
    }

    let first = scores(around: p2, search: s)
    let searchSide = 2 * s + 1
    guard let k = first.indices.max(by: { first[$0] < first[$1] }), first[k] >= minimumCorrelation else { return nil }
    let bx = k % searchSide - s, by = k / searchSide - s
    guard abs(bx) < s, abs(by) < s else { return nil }
    func at(_ x: Int, _ y: Int) -> Double { first[(y + s) * searchSide + x + s] }
    let fx = Double(bx) + vertex(at(bx - 1, by), at(bx, by), at(bx + 1, by))
    let fy = Double(by) + vertex(at(bx, by - 1), at(bx, by), at(bx, by + 1))
    let refined = p2 + warp.apply(fx, fy)
    // Once more around the refined point: offsets of one warped pixel each side.
    let second = scores(around: refined, search: 1)
    let centre = second[4]
    guard centre >= minimumCorrelation else { return nil }
    let gx = vertex(second[3], centre, second[5]), gy = vertex(second[1], centre, second[7])
    return (refined + warp.apply(gx, gy), centre)
}
