/// A range of terrain heights in metres above the WGS84 ellipsoid (RPC heights), with where it
/// comes from. Footprint intersections, the ROI and disparity ranges are computed over it.
public struct HeightRange: Sendable, Equatable, CustomStringConvertible {
    public let lower: Double
    public let upper: Double
    /// How it was obtained ("given height 2300 m ± 100 m", "DEM N44E005.hgt", ...).
    public let origin: String

    /// The heights of the Earth's surface: Dead Sea shore to above Everest, ellipsoidal (geoid
    /// undulations are within ±110 m). A range outside it is a unit or sign mistake.
    public static let plausible: ClosedRange<Double> = -600...9_000

    /// - Throws: `GeometryError.invalidHeightRange` for non-finite or reversed bounds or bounds
    ///   outside `plausible`.
    public init(lower: Double, upper: Double, origin: String) throws {
        guard lower.isFinite, upper.isFinite else {
            throw GeometryError.invalidHeightRange(lower: lower, upper: upper, reason: "not finite")
        }
        guard lower <= upper else {
            throw GeometryError.invalidHeightRange(lower: lower, upper: upper, reason: "lower bound above the upper one")
        }
        guard HeightRange.plausible.contains(lower), HeightRange.plausible.contains(upper) else {
            throw GeometryError.invalidHeightRange(
                lower: lower, upper: upper,
                reason: "outside \(HeightRange.plausible.lowerBound)...\(HeightRange.plausible.upperBound) m (ellipsoidal heights in metres)")
        }
        self.lower = lower
        self.upper = upper
        self.origin = origin
    }

    /// A given height (metres above the ellipsoid) ± `margin` metres (default 100 m: relief and
    /// buildings around a single guessed height).
    public static func given(_ height: Double, margin: Double = 100) throws -> HeightRange {
        guard margin >= 0, margin.isFinite else {
            throw GeometryError.invalidHeightRange(lower: height - margin, upper: height + margin, reason: "negative or non-finite margin \(margin)")
        }
        return try HeightRange(lower: height - margin, upper: height + margin, origin: "given height \(height) m ± \(margin) m")
    }

    /// The RPC model's validity range of heights (offset ± scale), inside `plausible`: what a
    /// search without prior covers.
    /// - Throws: `GeometryError.invalidHeightRange` when it misses `plausible` altogether.
    public static func validity(of model: RPCModel) throws -> HeightRange {
        let d = model.groundDomain.height
        let lower = max(d.lowerBound, plausible.lowerBound), upper = min(d.upperBound, plausible.upperBound)
        return try HeightRange(lower: lower, upper: max(lower, upper), origin: "the RPC's validity range")
    }

    public var middle: Double { (lower + upper) / 2 }
    public var span: Double { upper - lower }
    public var closedRange: ClosedRange<Double> { lower...upper }

    /// The range grown by `margin` metres each side (same origin, noted).
    public func expanded(by margin: Double) throws -> HeightRange {
        try HeightRange(lower: lower - margin, upper: upper + margin, origin: origin + " ± \(margin) m")
    }

    /// Heights sampled evenly from `lower` to `upper` (`count` >= 2; one height when the range
    /// is a single value).
    public func samples(_ count: Int = 3) -> [Double] {
        guard span > 0, count >= 2 else { return [middle] }
        return (0..<count).map { lower + span * Double($0) / Double(count - 1) }
    }

    public var description: String {
        "\(GeometryError.metres(lower))...\(GeometryError.metres(upper)) m above the ellipsoid (\(origin))"
    }
}
