/// Horizontal registration of a rectified pair: corrections applied after the right map that
/// keep rows unchanged and move the disparities. Disparities here follow the matcher's
/// convention, d = x_left - x_right (s2p uses x_right - x_left).
public enum HorizontalRegistration {
    /// s2p's `register_horizontally_translation` ('center'): the translation x -> x + t that
    /// brings the mean disparity of the matches to zero, t = mean(x_left - x_right).
    /// - Throws: `RectificationError.degenerateCorrespondences` without any match.
    public static func translation(
        matches: [PointCorrespondence], left: AffineMap2D, right: AffineMap2D
    ) throws -> AffineMap2D {
        guard !matches.isEmpty else {
            throw RectificationError.degenerateCorrespondences(count: 0, reason: "horizontal registration needs at least one match")
        }
        var sum = 0.0
        for m in matches {
            sum += left.apply(x: m.x1, y: m.y1).x - right.apply(x: m.x2, y: m.y2).x
        }
        return AffineMap2D.translation(x: sum / Double(matches.count), y: 0)
    }

    /// s2p's `register_horizontally_shear`: x -> α x + β y + γ (y unchanged), the least-squares
    /// fit of the rectified left abscissae from the rectified right points, so that matches
    /// (typically virtual ones at the tile's mean height) get disparity ~0 everywhere: this
    /// removes the disparity gradient of that plane and narrows the disparity range.
    /// - Throws: `RectificationError.degenerateCorrespondences` with fewer than 3 matches or
    ///   matches on a line.
    public static func shear(
        matches: [PointCorrespondence], left: AffineMap2D, right: AffineMap2D
    ) throws -> AffineMap2D {
        guard matches.count >= 3 else {
            throw RectificationError.degenerateCorrespondences(count: matches.count, reason: "shear registration needs at least 3 matches")
        }
        // Normal equations of [x2 y2 1] (α β γ)ᵀ = x1 on centred coordinates (3 unknowns).
        let p = matches.map { (l: left.apply(x: $0.x1, y: $0.y1), r: right.apply(x: $0.x2, y: $0.y2)) }
        let n = Double(p.count)
        let mx = p.reduce(0) { $0 + $1.r.x } / n, my = p.reduce(0) { $0 + $1.r.y } / n
        let mt = p.reduce(0) { $0 + $1.l.x } / n
        var sxx = 0.0, sxy = 0.0, syy = 0.0, sxt = 0.0, syt = 0.0
        for q in p {
            let dx = q.r.x - mx, dy = q.r.y - my, dt = q.l.x - mt
            sxx += dx * dx
            sxy += dx * dy
            syy += dy * dy
            sxt += dx * dt
            syt += dy * dt
        }
        let det = sxx * syy - sxy * sxy
        guard det > 1e-12 * max(sxx * syy, .leastNormalMagnitude) else {
            throw RectificationError.degenerateCorrespondences(count: matches.count, reason: "shear registration: the matches are on a line")
        }
        let alpha = (sxt * syy - syt * sxy) / det
        let beta = (syt * sxx - sxt * sxy) / det
        let gamma = mt - alpha * mx - beta * my
        return AffineMap2D(a: alpha, b: beta, c: gamma, d: 0, e: 1, f: 0)
    }
}
