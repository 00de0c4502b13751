/// How many directions semi-global matching aggregates over (Hirschmüller 2008, section 3.3).
public enum SGMPaths: Int, Sendable, Hashable, CaseIterable {
    /// Left, right, up and down: about half the work of `.eight`, slightly less accurate.
    case four = 4
    /// The four axes and the four diagonals (Hirschmüller's recommended setting).
    case eight = 8
}

/// How the integer winner is refined to a sub-pixel disparity.
public enum SubpixelMethod: String, Sendable, Hashable, CaseIterable {
    /// No refinement: integer disparities.
    case none
    /// Fit a parabola (`subpixelParabola`) to the aggregated costs at d-1, d, d+1. Biased towards
    /// integers ("pixel locking"), most on the
    /// V-shaped cost curves of census / absolute differences.
    case parabola
    /// Fit a symmetric V (equiangular line fit, `subpixelEquiangular`) to the aggregated costs;
    /// the model matches census and absolute-difference costs, whose curves are locally linear.
    case equiangular
    /// Re-measure the offset on the intensities of a 5x5 window (`subpixelWindowSSDVector`): a parabola
    /// through the mean squared differences at d-1, d, d+1, then one Gauss-Newton step on the
    /// linearly interpolated right image. No smoothness penalty pulls it towards integers, unlike
    /// fits on the aggregated costs. Biases of each method are in `Subpixel.swift`.
    case windowSSD
    /// `windowSSD` on zero-mean windows (ZSSD: each window's mean difference removed, in the
    /// parabola and in the Gauss-Newton step), insensitive to a brightness offset between the views.
    /// Default: meets the 0.05 px Sentinel-2 bar (0.037 px) and, unlike plain SSD, does not degrade
    /// Pléiades DSMs much (Réunion NMAD 0.43 m; the V fit 0.34 m, SSD 0.85 m; see `Subpixel.swift`).
    case windowZSSD
}

/// Which disparities each pixel searches.
public enum DisparitySearch: String, Sendable, Hashable, CaseIterable {
    /// Every disparity of the range at every pixel (the reference; O(W·H·D)).
    case full
    /// Coarse to fine (after tSGM, Rothermel et al. 2012): the pair is first matched at half
    /// resolution over the halved range (recursively while that gains), then every full-resolution
    /// pixel searches its own window of `pyramidBandWidth` (32) disparities, centred on twice the
    /// coarse disparities around it (`BandedSearch.swift`): the cost volume, the SGM paths and the
    /// decision hold 32 cells a pixel instead of the whole range. Falls back to `.full` where a
    /// coarse level cannot gain: ranges of fewer than `pyramidMinimumRange` disparities, images
    /// under `pyramidMinimumSide` pixels on a side; with the gradient cost or with
    /// `maxCost + p1 + 2 p2 > 255` it uses one window per 512-px tile instead (`predictedWindow`).
    /// Near depth edges wider than the window a pixel may miss its true disparity (measured: Cones
    /// bad-1px 5.96 % against 5.85 % for `.full`; Réunion DSM NMAD 0.341 against 0.340 m). The
    /// DSM pipeline's default (`DSMConfiguration.defaultMatching`).
    case pyramid
}

/// Everything the dense matcher needs besides the images and the disparity range. A value:
/// pass the same one to every tile. Costs and penalties are in census Hamming units (one unit =
/// one differing bit).
public struct StereoMatchingParameters: Sendable, Hashable {
    /// Census window width and height (odd, at least 3; width x height - 1 <= 64 bits, so up to 9x7).
    public var censusWidth: Int = 5
    public var censusHeight: Int = 5
    /// Weight of the optional second cost, the absolute difference of horizontal gradients
    /// (`GradientCost.swift`), in cost units per unit of gradient difference on the tile's 0..255
    /// intensity scale (robust range of the left tile, applied to both). 0 (default) turns it off;
    /// at most 15.9 (kept in 1/16 steps).
    public var gradientWeight: Float = 0
    /// The gradient term's cap, in cost units; the largest cost becomes `censusBits + gradientCap`.
    public var gradientCap: Int = 16
    /// Aggregation directions.
    public var paths: SGMPaths = .eight
    /// Penalty for a disparity change of one pixel between neighbours (Hirschmüller's P1).
    public var p1: Int = 8
    /// Penalty for larger disparity changes (P2). With `p2GradientScale` it is lowered at intensity edges.
    /// The kernels keep 8-bit path costs: `maxCost + p1 + p2 <= 255` is required.
    public var p2: Int = 32
    /// When set, P2 adapts to the intensity gradient along the path (Hirschmüller 2008, eq. 12):
    /// `P2' = max(P1, P2 / (1 + |I(p) - I(p-r)| / p2GradientScale))`, intensities normalised to 0..255
    /// per tile (2nd..98th percentile). Nil: constant P2.
    public var p2GradientScale: Float? = nil
    /// Sub-pixel refinement.
    public var subpixel: SubpixelMethod = .windowZSSD
    /// Left-right consistency: a pixel is kept when the right image's winner maps back within
    /// this many pixels. Nil turns the check off.
    public var leftRightTolerance: Int? = 1
    /// Uniqueness ratio in percent (OpenCV's `uniquenessRatio`): the winner must beat every
    /// disparity farther than one pixel from it by this margin. 0 turns it off.
    public var uniquenessRatio: Int = 0
    /// Connected regions of at most this many pixels (4-connected, neighbours within
    /// `speckleRange` px) are removed. 0 turns the filter off.
    public var speckleSize: Int = 100
    public var speckleRange: Float = 2
    /// A 3x3 median (over valid neighbours only) after the filters.
    public var medianFilter: Bool = true
    /// Full search or coarse-to-fine search of a predicted window (`DisparitySearch`).
    public var search: DisparitySearch = .full
    /// The largest cost volume one call may allocate (bytes); `matchTiled` picks tiles that fit.
    public var memoryLimit: Int = 512 << 20

    public init() {}

    /// The number of bits in a census code (window pixels minus the centre).
    public var censusBits: Int { censusWidth * censusHeight - 1 }

    /// The largest matching cost: census bits, plus the gradient cap when the second cost is on.
    public var maxCost: Int { censusBits + (gradientWeight > 0 ? gradientCap : 0) }

    /// Throws `MatchingError.invalidParameter` for values the kernels do not support.
    public func validate() throws {
        func bad(_ name: String, _ reason: String) -> MatchingError { .invalidParameter(name: name, reason: reason) }
        guard censusWidth >= 3, censusHeight >= 3, censusWidth % 2 == 1, censusHeight % 2 == 1 else {
            throw bad("census window", "\(censusWidth)x\(censusHeight) must be odd and at least 3x3")
        }
        guard censusBits <= 64 else { throw bad("census window", "\(censusWidth)x\(censusHeight) needs \(censusBits) bits, over 64") }
        guard p1 >= 0, p2 >= p1 else { throw bad("p1/p2", "need 0 <= P1 <= P2, got \(p1), \(p2)") }
        guard gradientWeight >= 0, gradientWeight * 16 <= 255 else { throw bad("gradientWeight", "\(gradientWeight) must be in 0...15.9") }
        guard (0...255).contains(gradientCap) else { throw bad("gradientCap", "\(gradientCap) must be in 0...255") }
        guard maxCost + p1 + p2 <= 255 else {
            throw bad("p1/p2", "largest cost \(maxCost) (census bits\(gradientWeight > 0 ? " + gradient cap" : "")) + P1 \(p1) + P2 \(p2) exceeds the 8-bit path cost (255)")
        }
        if let s = p2GradientScale, !(s > 0) { throw bad("p2GradientScale", "\(s) must be > 0") }
        if let t = leftRightTolerance, t < 0 { throw bad("leftRightTolerance", "\(t) must be >= 0") }
        guard (0..<100).contains(uniquenessRatio) else { throw bad("uniquenessRatio", "\(uniquenessRatio) must be in 0..<100") }
        guard speckleSize >= 0, speckleRange >= 0 else { throw bad("speckle", "size and range must be >= 0") }
        guard memoryLimit > 0 else { throw bad("memoryLimit", "must be > 0") }
    }
}
