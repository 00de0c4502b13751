/// Settings of the sparse analysis that runs before the tiles (`SparseAnalysis`).
public struct SparseParameters: Sendable {
    /// Run it (the pointing correction and the measured height ranges); false: the tiles use the
    /// height prior as given and only their row-offset correction.
    public var enabled = true
    /// Largest relative pointing error accepted, pixels: the coarse row search covers it, and a
    /// pair whose RPCs disagree with the images by more stops the run (a wrong or mismatched RPC).
    /// Pléiades pairs of one pass show about a pixel; RPCs of different passes, up to about ten.
    public var maxPointingError = 30.0
    /// Coarse level: the ROI is downsampled by a power of two until it has at most this many
    /// pixels, by `minimumFactor` at least, and more while its search (rectified pixels x
    /// disparities) exceeds `maxCoarseCells` (down to `minimumCoarseSide` pixels).
    public var maxCoarsePixels = 1_000_000
    public var minimumFactor = 2
    public var maxCoarseCells = 64 << 20
    public var minimumCoarseSide = 48
    /// A smaller ROI is analysed with context around it, up to this side (pixels).
    public var minimumAnalysisSide = 512
    /// Patches of the coarse row-offset search.
    public var rowOffsetPatches = 400
    /// Reference points refined at full resolution per pair (a grid over the ROI).
    public var candidates = 1500
    /// ZNCC patch radius and threshold of the full-resolution refinement.
    public var patchRadius = 10
    public var minimumCorrelation = 0.8
    /// Height samples of the coarse match per pair (for the tiles' height ranges).
    public var heightSamples = 40_000
    /// Pairs with fewer refined matches than this fall back to the prior (or the RPC's range).
    public var minimumMatches = 12
    /// Tiles' height ranges: robust percentiles of the samples over the tile and its
    /// neighbourhood, widened by the larger of `minimumMargin` metres, `marginFraction` of their
    /// span and the coarse level's height precision.
    public var lowPercentile = 0.5
    public var highPercentile = 99.5
    public var minimumMargin = 20.0
    public var marginFraction = 0.2
    /// Coarse samples more than the larger of this (metres) and the refined matches' 1-99 %
    /// span outside that span are dropped as mismatches.
    public var sampleBoundMargin = 100.0
    /// Samples a tile's range needs; fewer: the neighbourhood grows, then the global range.
    public var minimumTileSamples = 30
    /// Memory for the coarse matching, bytes.
    public var memoryLimit = 256 << 20
    var rectification: RectificationParameters = {
        var r = RectificationParameters()
        r.disparityMarginFraction = 0.05
        return r
    }()
    var matching: StereoMatchingParameters = {
        var m = DSMConfiguration.defaultMatching
        m.subpixel = .equiangular
        return m
    }()

    public init() {}

    /// - Throws: `DSMPipelineError.invalidConfiguration`.
    public func validate() throws {
        func fail(_ s: String) -> DSMPipelineError { .invalidConfiguration("sparse analysis: \(s)") }
        guard maxPointingError.isFinite, maxPointingError > 0, maxPointingError <= 1000 else {
            throw fail("maximum pointing error must be in (0, 1000] pixels, got \(maxPointingError)")
        }
        guard maxCoarsePixels >= 4096, minimumFactor >= 1, minimumFactor <= 64, maxCoarseCells >= 1 << 16 else {
            throw fail("coarse level settings out of range")
        }
        guard candidates >= 10, candidates <= 1_000_000, patchRadius >= 2, patchRadius <= 50 else {
            throw fail("candidates must be in 10...1000000 and the patch radius in 2...50")
        }
        guard minimumCorrelation > 0, minimumCorrelation < 1, minimumMatches >= 3 else {
            throw fail("minimum correlation must be in (0, 1) and minimum matches at least 3")
        }
        guard lowPercentile >= 0, highPercentile <= 100, lowPercentile < highPercentile else {
            throw fail("percentiles must satisfy 0 <= low < high <= 100")
        }
        guard minimumMargin.isFinite, minimumMargin >= 0, marginFraction.isFinite, marginFraction >= 0 else {
            throw fail("height margins must be finite and >= 0")
        }
    }
}
