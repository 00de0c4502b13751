import Raster

/// The height ranges a run searches, decided from the prior and the sparse analysis's
/// measurement: the whole ROI's range (`range`), each tile's (`tile`), where they come from, and
/// the warnings a user must see (a prior the matches contradict, a measurement that failed).
/// A given prior is checked, never trusted blindly: when the matches put the terrain outside it,
/// the measured ranges replace it and a warning gives both.
struct HeightDecision: Sendable {
    /// The whole ROI's range (the DSM grid's footprint, the memory plan).
    let range: HeightRange
    /// Each tile's range (the measured heights around it, inside the trusted prior).
    let tile: @Sendable (Window) -> ClosedRange<Double>
    /// "measured by N sparse samples", "given height 2300 m ± 100 m (checked)", ...
    let source: String
    let warnings: [String]

    /// Heights searched as before the sparse analysis: the prior's range everywhere.
    static func unmeasured(prior: HeightPrior, searched: HeightRange) -> HeightDecision {
        let r = searched.closedRange
        let warnings = prior.isMeasured
            ? ["no height prior and no sparse analysis: searching the RPC's validity range \(searched.description), which is slow; "
               + "give --height or --dem, or leave the sparse analysis on"]
            : []
        return HeightDecision(range: searched, tile: { _ in r }, source: searched.origin, warnings: warnings)
    }

    /// - Parameters:
    ///   - searched: the prior's range (the RPC's validity range without prior), what the sparse
    ///     analysis searched.
    ///   - measured: its heights, nil when it found too few.
    static func decide(
        prior: HeightPrior, searched: HeightRange, measured: SparseHeights?, parameters p: SparseParameters
    ) throws -> HeightDecision {
        func metres(_ v: Double) -> String { GeometryError.metres(v) }
        guard let measured, let global = measured.global else {
            let r = searched.closedRange
            let warning = prior.isMeasured
                ? "too few sparse matches to measure the heights (clouds, water, nodata or no texture?): searching the RPC's "
                    + "validity range \(metres(r.lowerBound))...\(metres(r.upperBound)) m coarse to fine; give --height or --dem to narrow it"
                : "too few sparse matches to check the given heights \(searched.description): used as given"
            return HeightDecision(range: searched, tile: { _ in r }, source: searched.origin + " (not measured)", warnings: [warning])
        }
        let samples = "\(measured.count) sparse height samples"
        if prior.isMeasured {
            let range = try HeightRange(lower: global.lowerBound, upper: global.upperBound, origin: "measured by \(samples)")
            return HeightDecision(range: range, tile: { measured.range(for: $0, fallback: global) }, source: range.origin, warnings: [])
        }
        // A given prior: does it hold the measured terrain (the 2-98 % percentiles, no margin:
        // a few stray samples are no contradiction)?
        let core = measured.core(low: 2, high: 98)
        let tolerance = max(10, 2 * measured.precision)
        let given = searched.closedRange
        if core.lowerBound < given.lowerBound - tolerance || core.upperBound > given.upperBound + tolerance {
            // Contradicted: the measurement replaces the prior.
            let lower = global.lowerBound, upper = global.upperBound
            let range = try HeightRange(lower: lower, upper: upper, origin: "\(samples) (contradicting the \(searched.origin))")
            let warning = "the sparse matches put the terrain at \(metres(core.lowerBound))...\(metres(core.upperBound)) m, outside "
                + "the given range \(metres(given.lowerBound))...\(metres(given.upperBound)) m (\(searched.origin)): searching "
                + "the measured \(metres(lower))...\(metres(upper)) m instead; check the prior (ellipsoid or geoid heights?)"
            return HeightDecision(range: range, tile: { measured.range(for: $0, fallback: global) }, source: range.origin,
                                  warnings: [warning])
        }
        // The prior holds: it narrows the measured ranges (and they narrow it).
        @Sendable func inside(_ r: ClosedRange<Double>) -> ClosedRange<Double> {
            let a = max(r.lowerBound, given.lowerBound), b = min(r.upperBound, given.upperBound)
            return a <= b ? a...b : given
        }
        let narrowed = inside(global)
        let range = try HeightRange(lower: narrowed.lowerBound, upper: narrowed.upperBound,
                                    origin: "\(searched.origin), narrowed by the \(samples)")
        return HeightDecision(range: range, tile: { inside(measured.range(for: $0, fallback: global)) }, source: range.origin,
                              warnings: [])
    }
}
