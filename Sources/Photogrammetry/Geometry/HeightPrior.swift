import Raster

/// Where the terrain height range of a scene comes from: measured by the sparse analysis (no
/// prior), or given (`--height H`, `--dem DEM`), then checked by the sparse analysis.
public enum HeightPrior: Sendable {
    /// No prior: the heights are measured from sparse matches (`SparseAnalysis`); until then the
    /// RPC's validity range of heights is searched.
    case measured
    /// A known range (e.g. `HeightRange.given(2300)`).
    case range(HeightRange)
    /// A DEM read over the reference ROI's footprint (`HeightRange.fromDEM`); `geoid` when its
    /// heights are above a geoid (SRTM), `margin` metres added each side.
    case dem(path: String, geoid: Geoid?, margin: Double = HeightRange.defaultDEMMargin)

    /// The range over the ground the reference `window` sees. For a DEM, the window's footprint
    /// is first taken at the RPC's mean height (`heightOffset`) and, when the DEM's range moves
    /// it, once more over the DEM's range (footprints move sideways with height).
    /// - Throws: what `HeightRange.fromDEM` throws, `RPCError` from localisation.
    public var isMeasured: Bool { if case .measured = self { true } else { false } }

    public func resolve(reference: StereoImage, window: Window) throws -> HeightRange {
        switch self {
        case .measured:
            return try HeightRange.validity(of: reference.model)
        case .range(let range):
            return range
        case .dem(let path, let geoid, let margin):
            let h0 = reference.model.coefficients.heightOffset
            let first = try reference.footprint(of: window, height: h0)
            guard let box = first.polygon.bounds else { throw GeometryError.invalidROI(roi: window, reason: "empty footprint") }
            let range = try HeightRange.fromDEM(path, covering: box, geoid: geoid, margin: margin)
            let low = try reference.footprint(of: window, height: range.lower).polygon.bounds
            let high = try reference.footprint(of: window, height: range.upper).polygon.bounds
            guard let low, let high else { return range }
            return try HeightRange.fromDEM(path, covering: low.union(high), geoid: geoid, margin: margin)
        }
    }
}
