import Dispatch
import Synchronization

/// Estimates the secondaries' pointing corrections (`PointingCorrection`) from tie points.
///
/// Each observation is first fitted to its epipolar curve (`EpipolarFit`). Per secondary, the
/// matches far from the curves are dropped by a robust affine fit of the across-curve misfit
/// over the reference (LMedS-style: start from the median, keep residuals within 3 x NMAD and
/// at least `inlierFloor`, refit, four rounds), as s2p drops matches beyond its maximum pointing
/// error. Then one least-squares system for all translations: the tie heights are eliminated
/// point by point (a Schur complement, so a point seen by one secondary only constrains the
/// across component); a tiny ridge term makes it solvable, and the one direction the data leave
/// free (a shift of the whole scene) is then chosen as the smallest spread of the views'
/// corrections.
enum PointingEstimation {
    /// Across-curve residuals under this are never outliers (pixels: the refinement's precision).
    static let inlierFloor = 0.5
    /// A secondary whose matches stray more than this (NMAD, pixels) across the epipolar lines
    /// after its translation, or whose robust affine fit changes by more than `maxAffineSpan`
    /// pixels over the matches, does not fit its RPC: an error, not a correction.
    static let maxSpread = 1.0
    static let maxAffineSpan = 3.0

    struct Observation {
        var tie: Int
        var pair: Int
        var reference: SIMD2<Double>
        var fit: EpipolarFit
    }

    /// - Returns: one correction per secondary, nil where fewer than `minimumMatches` matches
    ///   were kept.
    /// - Throws: `SparseError.rpcMisfit` when a secondary's matches put it farther from its
    ///   epipolar curves, or its correction farther, than `maxPointingError` pixels.
    static func estimate(
        ties: [SparseTie], reference: StereoImage, secondaries: [StereoImage], startHeight: Double,
        maxPointingError: Double, minimumMatches: Int
    ) throws -> [PointingCorrection?] {
        let observations = fitAll(ties, reference: reference, secondaries: secondaries, startHeight: startHeight)
        var kept: [Observation] = []
        var stats: [(found: Int, misfit: Double, affineSpan: Double)] = []
        for k in secondaries.indices {
            let mine = observations.filter { $0.pair == k }
            let across = mine.map(\.fit.across)
            let misfit = RobustStatistics.median(across) ?? 0
            if mine.count >= minimumMatches, abs(misfit) > maxPointingError {
                throw SparseError.rpcMisfit(reference: reference.path, secondary: secondaries[k].path, misfit: misfit,
                                            spread: RobustStatistics.nmad(across), matches: mine.count, limit: maxPointingError)
            }
            let (inliers, span) = robustInliers(mine)
            kept += inliers
            stats.append((mine.count, misfit, span))
        }
        let counts = secondaries.indices.map { k in kept.reduce(0) { $0 + ($1.pair == k ? 1 : 0) } }
        let usable = Set(secondaries.indices.filter { counts[$0] >= minimumMatches })
        let translations = solve(kept.filter { usable.contains($0.pair) }, pairs: secondaries.count)
        var out: [PointingCorrection?] = []
        for k in secondaries.indices {
            guard usable.contains(k) else { out.append(nil); continue }
            let t = translations[k]
            let residuals = kept.filter { $0.pair == k }.map { $0.fit.across - ($0.fit.normal * t).sum() }
            let c = PointingCorrection(image: secondaries[k].path, column: t.x, row: t.y, matches: counts[k], found: stats[k].found,
                                       misfit: stats[k].misfit, spread: RobustStatistics.nmad(residuals), affineSpan: stats[k].affineSpan)
            // A pair whose RPCs describe its images leaves, after a translation, only the
            // matching error across the epipolar lines (0.04-0.2 px NMAD measured on five
            // pairs, affine part under 0.1 px); a wrong model leaves a systematic field.
            if c.magnitude > maxPointingError || c.affineSpan > max(maxAffineSpan, maxPointingError / 10) || c.spread > maxSpread {
                throw SparseError.rpcMisfit(reference: reference.path, secondary: secondaries[k].path,
                                            misfit: max(c.magnitude, c.affineSpan), spread: c.spread, matches: c.matches,
                                            limit: maxPointingError)
            }
            out.append(c)
        }
        return out
    }

    /// Every observation fitted to its epipolar curve (in parallel; failures dropped).
    static func fitAll(_ ties: [SparseTie], reference: StereoImage, secondaries: [StereoImage], startHeight: Double) -> [Observation] {
        var flat: [(tie: Int, pair: Int, point: SIMD2<Double>)] = []
        for (i, t) in ties.enumerated() { for o in t.observations { flat.append((i, o.pair, o.point)) } }
        let results = Mutex<[Int: Observation]>([:])
        let chunk = 64
        let snapshot = flat
        DispatchQueue.concurrentPerform(iterations: (snapshot.count + chunk - 1) / chunk) { c in
            var local: [Int: Observation] = [:]
            for n in (c * chunk)..<min(snapshot.count, (c + 1) * chunk) {
                let o = snapshot[n], p = ties[o.tie].reference
                if let fit = try? EpipolarFit.fit(reference: p, observed: o.point, reference: reference.model,
                                                  secondary: secondaries[o.pair].model, start: startHeight),
                   fit.height.isFinite, fit.misfit.x.isFinite, fit.misfit.y.isFinite {
                    local[n] = Observation(tie: o.tie, pair: o.pair, reference: p, fit: fit)
                }
            }
            results.withLock { $0.merge(local) { a, _ in a } }
        }
        let all = results.withLock { $0 }
        return all.keys.sorted().map { all[$0]! }
    }

    /// The observations whose across-curve misfit agrees with a robust affine fit over the
    /// reference, and the fit's largest change over their extent (pixels).
    static func robustInliers(_ obs: [Observation]) -> (inliers: [Observation], affineSpan: Double) {
        guard obs.count >= 3 else { return (obs, 0) }
        let across = obs.map(\.fit.across)
        var model = (a: RobustStatistics.median(across) ?? 0, bx: 0.0, by: 0.0)
        let cx = obs.map(\.reference.x).reduce(0, +) / Double(obs.count)
        let cy = obs.map(\.reference.y).reduce(0, +) / Double(obs.count)
        func predict(_ o: Observation) -> Double { model.a + model.bx * (o.reference.x - cx) + model.by * (o.reference.y - cy) }
        var inliers = obs
        for _ in 0..<4 {
            let residuals = obs.map { $0.fit.across - predict($0) }
            let threshold = max(3 * RobustStatistics.nmad(residuals), inlierFloor)
            inliers = zip(obs, residuals).filter { abs($0.1) <= threshold }.map(\.0)
            guard inliers.count >= 6, let fit = affineFit(inliers, cx: cx, cy: cy) else {
                model = (RobustStatistics.median(inliers.map(\.fit.across)) ?? model.a, 0, 0)
                continue
            }
            model = fit
        }
        let xs = inliers.map(\.reference.x), ys = inliers.map(\.reference.y)
        guard let x0 = xs.min(), let x1 = xs.max(), let y0 = ys.min(), let y1 = ys.max() else { return (inliers, 0) }
        let corners = [(x0, y0), (x1, y0), (x0, y1), (x1, y1)].map { model.bx * ($0.0 - cx) + model.by * ($0.1 - cy) }
        return (inliers, corners.max()! - corners.min()!)
    }

    /// Least squares a + bx (x - cx) + by (y - cy) of the across misfits; nil when degenerate.
    static func affineFit(_ obs: [Observation], cx: Double, cy: Double) -> (a: Double, bx: Double, by: Double)? {
        var m = [[Double]](repeating: [0, 0, 0], count: 3), v = [0.0, 0, 0]
        for o in obs {
            let row = [1, o.reference.x - cx, o.reference.y - cy]
            for i in 0..<3 {
                v[i] += row[i] * o.fit.across
                for j in 0..<3 { m[i][j] += row[i] * row[j] }
            }
        }
        guard let s = solveLinear(m, v) else { return nil }
        return (s[0], s[1], s[2])
    }

    /// The translations t_k minimising Σ |m̃ - g δh_i - t_k|² + λ |t|² over the tie heights δh_i
    /// and the translations, δh eliminated per tie (see the type's comment).
    static func solve(_ obs: [Observation], pairs: Int) -> [SIMD2<Double>] {
        let n = 2 * pairs
        var a = [[Double]](repeating: [Double](repeating: 0, count: n), count: n), b = [Double](repeating: 0, count: n)
        // Ties in order: the sums, hence the result, do not depend on the dictionary's order.
        let byTie = Dictionary(grouping: obs, by: \.tie)
        for tie in byTie.keys.sorted() {
            let group = byTie[tie]!
            // Misfits at the tie's mean height (linearised along each curve).
            let mean = group.map(\.fit.height).reduce(0, +) / Double(group.count)
            let m = group.map { $0.fit.misfit + $0.fit.gradient * ($0.fit.height - mean) }
            let g = group.map(\.fit.gradient)
            let s = g.reduce(0) { $0 + ($1 * $1).sum() }
            guard s > 1e-12 else { continue }
            let gm = zip(g, m).reduce(0) { $0 + ($1.0 * $1.1).sum() }
            for (p, op) in group.enumerated() {
                let bp = m[p] - g[p] * (gm / s)
                b[2 * op.pair] += bp.x
                b[2 * op.pair + 1] += bp.y
                for (q, oq) in group.enumerated() {
                    for i in 0..<2 {
                        for j in 0..<2 {
                            let identity = (p == q && i == j) ? 1.0 : 0.0
                            a[2 * op.pair + i][2 * oq.pair + j] += identity - g[p][i] * g[q][j] / s
                        }
                    }
                }
            }
        }
        let trace = (0..<n).reduce(0) { $0 + a[$1][$1] }
        let ridge = max(1e-9, 1e-6 * trace / Double(n))
        for i in 0..<n { a[i][i] += ridge }
        let t = solveLinear(a, b) ?? [Double](repeating: 0, count: n)
        var translations = (0..<pairs).map { SIMD2(t[2 * $0], t[2 * $0 + 1]) }
        // The free direction: all tie heights shifted by δH along the reference's rays, each t_k
        // by g_k δH. With the common translation that `SparseAnalysis.applied` removes, it spans
        // (about) a shift of the whole scene, which no relative orientation can observe. Chosen as
        // the smallest spread of all the views' corrections (the reference's 0 included), the one
        // choice that does not depend on which view is the reference.
        var gradients = [SIMD2<Double>](repeating: .zero, count: pairs), counts = [Int](repeating: 0, count: pairs)
        for o in obs { gradients[o.pair] += o.fit.gradient; counts[o.pair] += 1 }
        let used = (0..<pairs).filter { counts[$0] > 0 }
        guard !used.isEmpty else { return translations }
        // Views: the reference (0, no gradient), then each secondary (unused ones stay at 0).
        let w = [SIMD2<Double>.zero] + (0..<pairs).map { counts[$0] > 0 ? translations[$0] : .zero }
        let d = [SIMD2<Double>.zero] + (0..<pairs).map { counts[$0] > 0 ? gradients[$0] / Double(counts[$0]) : .zero }
        let wMean = w.reduce(.zero, +) / Double(w.count), dMean = d.reduce(.zero, +) / Double(d.count)
        var numerator = 0.0, denominator = 0.0
        for v in w.indices {
            numerator += ((w[v] - wMean) * (d[v] - dMean)).sum()
            denominator += ((d[v] - dMean) * (d[v] - dMean)).sum()
        }
        guard denominator > 1e-12 else { return translations }
        let shift = -numerator / denominator
        for k in used { translations[k] += d[k + 1] * shift }
        return translations
    }

    /// Gaussian elimination with partial pivoting; nil when singular.
    static func solveLinear(_ matrix: [[Double]], _ rhs: [Double]) -> [Double]? {
        var a = matrix, b = rhs
        let n = b.count
        for col in 0..<n {
            guard let pivot = (col..<n).max(by: { abs(a[$0][col]) < abs(a[$1][col]) }), abs(a[pivot][col]) > 1e-300 else { return nil }
            a.swapAt(col, pivot)
            b.swapAt(col, pivot)
            for r in (col + 1)..<n {
                let f = a[r][col] / a[col][col]
                guard f != 0 else { continue }
                for c in col..<n { a[r][c] -= f * a[col][c] }
                b[r] -= f * b[col]
            }
        }
        var x = [Double](repeating: 0, count: n)
        for r in stride(from: n - 1, through: 0, by: -1) {
            var s = b[r]
            for c in (r + 1)..<n { s -= a[r][c] * x[c] }
            x[r] = s / a[r][r]
        }
        return x.allSatisfy(\.isFinite) ? x : nil
    }
}
