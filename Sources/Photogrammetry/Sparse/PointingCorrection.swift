/// The relative pointing correction of one secondary image with the reference, in image space:
/// the translation to add to its RPC's projections for them to agree with the reference's,
/// estimated from sparse matches (`SparseAnalysis.applied` shares it out between the views;
/// `RPCModel.cropped(column: -x, row: -y)` applies a translation exactly).
///
/// With one secondary only the component across the epipolar lines can be observed: a shift
/// along them cannot be told from a change of height, so it is left at zero. With two or more
/// secondaries, tie points seen by several of them fix the along components too (up to one
/// shift of the whole scene, chosen as the smallest spread of all the views' corrections, which
/// does not depend on the reference), which removes the opposite height
/// biases of the pairs of a tri-stereo set.
public struct PointingCorrection: Sendable, Equatable, Codable, CustomStringConvertible {
    /// The secondary image.
    public var image: String
    /// Added to the secondary's projections, pixels.
    public var column: Double
    public var row: Double
    /// Matches kept (inliers of the robust fit) and refined matches found.
    public var matches: Int
    public var found: Int
    /// Median distance of the matches to their epipolar curves before the correction (pixels,
    /// signed across the curves), and the robust spread (1.4826 x MAD) after it.
    public var misfit: Double
    public var spread: Double
    /// The largest change of the across-epipolar misfit over the matches' extent that a robust
    /// affine fit finds (pixels): how far a translation is from the whole correction.
    public var affineSpan: Double

    public var magnitude: Double { (column * column + row * row).squareRoot() }

    public var description: String {
        func f(_ v: Double) -> String { String(format: "%.2f", v) }
        return "\(image): column \(f(column)) px, row \(f(row)) px (\(matches) of \(found) matches, epipolar misfit \(f(misfit)) px "
            + "before, spread \(f(spread)) px after, affine part \(f(affineSpan)) px over the matches)"
    }

}

/// A reference point matched in one or more secondary images (full-resolution pixels).
struct SparseTie: Sendable {
    var reference: SIMD2<Double>
    /// (secondary index, point, correlation)
    var observations: [(pair: Int, point: SIMD2<Double>, correlation: Double)]
}

/// One observation fitted to its epipolar curve: the height `height` at which the secondary's
/// projection of the reference point comes closest to it, `misfit` (observation minus that
/// projection) and the curve's direction `gradient` (secondary pixels per metre of height).
struct EpipolarFit {
    var height: Double
    var misfit: SIMD2<Double>
    var gradient: SIMD2<Double>
    /// Signed distance across the curve (pixels).
    var across: Double {
        let g = gradient / max(1e-12, (gradient * gradient).sum().squareRoot())
        return misfit.x * -g.y + misfit.y * g.x
    }
    var normal: SIMD2<Double> {
        let g = gradient / max(1e-12, (gradient * gradient).sum().squareRoot())
        return SIMD2(-g.y, g.x)
    }

    /// Gauss-Newton on the height along the curve, from `start`.
    /// - Throws: `RPCError` from localisation.
    static func fit(reference p: SIMD2<Double>, observed q: SIMD2<Double>, reference r: RPCModel, secondary s: RPCModel,
                    start: Double) throws -> EpipolarFit {
        func project(_ h: Double) throws -> SIMD2<Double> {
            let g = try r.localization(column: p.x, row: p.y, height: h)
            let x = s.projection(longitude: g.longitude, latitude: g.latitude, height: h)
            return SIMD2(x.column, x.row)
        }
        var h = start
        var at = try project(h), gradient = (try project(h + 1) - at)
        for _ in 0..<8 {
            let gg = (gradient * gradient).sum()
            guard gg > 1e-12 else { break }
            let step = ((q - at) * gradient).sum() / gg
            h = min(max(h + step, HeightRange.plausible.lowerBound - 1000), HeightRange.plausible.upperBound + 1000)
            at = try project(h)
            gradient = try project(h + 1) - at
            if abs(step) < 0.01 { break }
        }
        return EpipolarFit(height: h, misfit: q - at, gradient: gradient)
    }
}
