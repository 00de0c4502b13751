import Foundation
import Raster

/// The result of `PanMSGeometry.registered`: the corrected relation and what was measured.
public struct PanMSRegistration: Sendable {
    /// `msFromPan` followed by the measured translation.
    public var geometry: PanMSGeometry
    /// The translation added to the MS coordinates (MS pixels).
    public var shift: (x: Double, y: Double)
    /// Correlation of the low-passed PAN with the MS intensity at the shift (at zero shift).
    public var correlation: Double
    public var correlationAtZero: Double
}

extension PanMSGeometry {
    /// Measures and removes a residual translation between the PAN and the MS (an RPC pair whose
    /// models disagree, as the Ventoux .geom files by 0.5 MS px in rows): the PAN, low-passed to the
    /// MS resolution (`msGainAtNyquist`), is sampled (bilinear) where each MS pixel k falls,
    /// `msFromPan⁻¹(k - t)`, and correlated with the MS intensity (the least-squares combination of
    /// the MS bands that best predicts it at t = 0); t is searched on a grid of 1/8 MS px within
    /// ±`search`, then of 1/32 px around the best, then refined by a parabola on each axis.
    ///
    /// `pan` and `ms` are windows of the images whose top-left pixels are `panOrigin` and
    /// `msOrigin`; the MS pixels used are those whose PAN positions stay inside `pan` for every t.
    /// - Complexity: O(MS pixels · (289 + 81)) bilinear samples, plus the PAN low-pass.
    public func registered(
        pan: ImageBuffer<Float>, panOrigin: (x: Int, y: Int) = (0, 0), ms: ImageBuffer<Float>,
        msOrigin: (x: Int, y: Int) = (0, 0), ratio: Int, search: Double = 1
    ) throws -> PanMSRegistration {
        guard let inverse = msFromPan.inverse else {
            throw RadiometryError.incompatibleImages(pan: "PAN", ms: "MS", reason: "degenerate PAN/MS relation")
        }
        let low = gaussianLowPass(pan, sigma: mtfGaussianSigma(ratio: max(ratio, 2), gainAtNyquist: msGainAtNyquist))
        // MS pixels (buffer coordinates) whose PAN positions stay inside for every shift.
        var cells: [(x: Int, y: Int)] = []
        let reach = search + 0.2
        for j in 0..<ms.height {
            for i in 0..<ms.width {
                let k = (x: Double(i + msOrigin.x), y: Double(j + msOrigin.y))
                var inside = true
                for (dx, dy) in [(-reach, -reach), (reach, -reach), (-reach, reach), (reach, reach)] {
                    let p = inverse.apply(x: k.x - dx, y: k.y - dy)
                    let u = p.x - Double(panOrigin.x), v = p.y - Double(panOrigin.y)
                    inside = inside && u >= 0 && v >= 0 && u <= Double(pan.width - 2) && v <= Double(pan.height - 2)
                }
                if inside { cells.append((i, j)) }
            }
        }
        guard cells.count >= 256 else {
            throw RadiometryError.incompatibleImages(pan: "PAN", ms: "MS", reason: "only \(cells.count) MS pixels over the PAN window to register")
        }
        func sampled(_ t: (x: Double, y: Double)) -> [Double] {
            cells.map { c in
                let p = inverse.apply(x: Double(c.x + msOrigin.x) - t.x, y: Double(c.y + msOrigin.y) - t.y)
                let u = p.x - Double(panOrigin.x), v = p.y - Double(panOrigin.y)
                let x0 = Int(u), y0 = Int(v), fx = u - Double(x0), fy = v - Double(y0)
                let top = Double(low[x0, y0]) * (1 - fx) + Double(low[x0 + 1, y0]) * fx
                let bottom = Double(low[x0, y0 + 1]) * (1 - fx) + Double(low[x0 + 1, y0 + 1]) * fx
                return top * (1 - fy) + bottom * fy
            }
        }
        // Intensity: least-squares weights of the MS bands (and a constant) on the PAN at t = 0.
        let bands = ms.bandCount, n = cells.count
        var design = [Double](repeating: 1, count: n * (bands + 1))
        for (r, c) in cells.enumerated() { for b in 0..<bands { design[r + b * n] = Double(ms[c.x, c.y, b]) } }
        var target = sampled((0, 0))
        var a = design
        guard let w = solveLeastSquares(&a, &target, rows: n, columns: bands + 1) else {
            throw RadiometryError.incompatibleImages(pan: "PAN", ms: "MS", reason: "the MS bands are collinear")
        }
        let intensity = (0..<n).map { r in (0..<bands).reduce(w[bands]) { $0 + w[$1] * design[r + $1 * n] } }
        func correlation(_ t: (x: Double, y: Double)) -> Double {
            let s = sampled(t)
            let ms_ = s.reduce(0, +) / Double(n), mi = intensity.reduce(0, +) / Double(n)
            var sxy = 0.0, sxx = 0.0, syy = 0.0
            for k in 0..<n {
                let a = s[k] - ms_, b = intensity[k] - mi
                sxy += a * b; sxx += a * a; syy += b * b
            }
            return sxx > 0 && syy > 0 ? sxy / (sxx * syy).squareRoot() : -1
        }
        var best = (x: 0.0, y: 0.0), bestR = -2.0
        for (step, radius) in [(0.125, search), (1.0 / 32, 0.125)] {
            let centre = best, steps = Int((radius / step).rounded())
            for j in -steps...steps {
                for i in -steps...steps {
                    let t = (x: centre.x + Double(i) * step, y: centre.y + Double(j) * step)
                    let r = correlation(t)
                    if r > bestR { bestR = r; best = t }
                }
            }
        }
        // Parabola through the neighbours on each axis (1/32 px apart).
        let h = 1.0 / 32
        func vertex(_ minus: Double, _ plus: Double) -> Double {
            let den = minus - 2 * bestR + plus
            return den < 0 ? max(-1, min(1, 0.5 * (minus - plus) / den)) * h : 0
        }
        let dx = vertex(correlation((best.x - h, best.y)), correlation((best.x + h, best.y)))
        let dy = vertex(correlation((best.x, best.y - h)), correlation((best.x, best.y + h)))
        best = (best.x + dx, best.y + dy)
        var map = msFromPan
        map.c += best.x
        map.f += best.y
        return PanMSRegistration(geometry: PanMSGeometry(msFromPan: map, maxResidual: maxResidual), shift: best,
                                 correlation: correlation(best), correlationAtZero: correlation((0, 0)))
    }
}
