import Raster

/// An input image and, optionally, its RPC file.
public struct DSMImageInput: Sendable, Hashable {
    public var path: String
    /// An explicit RPC file (DIMAP XML, .geom, RPC text, JSON...); nil: the image's own RPC.
    public var rpc: String?

    public init(path: String, rpc: String? = nil) {
        self.path = path
        self.rpc = rpc
    }
}

/// Everything `DSMPipeline.run` needs for one stereo pair or a multi-view set (`dsm-run dsm`).
public struct DSMConfiguration: Sendable {
    /// The reference image (first) and the secondary image; any raster GDAL reads with an RPC.
    public var reference: String
    public var secondary: String
    /// Explicit RPC files (DIMAP XML, .geom, RPC text, JSON...); nil: the images' own RPC.
    public var referenceRPC: String?
    public var secondaryRPC: String?
    /// Further secondary images (tri-stereo and more): each is matched with the reference like
    /// `secondary`, and the points of all pairs are fused (one per-cell median) before the
    /// rasterisation. Empty: a stereo pair.
    public var additionalSecondaries: [DSMImageInput] = []
    /// `secondary` then `additionalSecondaries`: pair k matches the reference with image k.
    public var secondaryImages: [DSMImageInput] {
        [DSMImageInput(path: secondary, rpc: secondaryRPC)] + additionalSecondaries
    }
    /// Region of interest in the reference image (pixels); clipped to it. nil: the part of the
    /// reference that sees the secondary.
    public var roi: Window?
    /// DSM cell size, metres.
    public var resolution: Double = 0.5
    /// Terrain height prior (ellipsoidal), e.g. `.range(try .given(2320))` or `.dem(...)`;
    /// `.measured` (no prior): the sparse analysis measures the heights.
    public var heights: HeightPrior
    /// Vertical datum of the output (ellipsoid by default).
    public var datum: VerticalDatum = .ellipsoid
    /// Side of the reference tiles, pixels (s2p's default 300).
    public var tileSize: Int = 300
    /// Tiles processed at once (each with its own matching workspace); nil: the number of cores.
    public var threads: Int?
    /// Peak memory to stay under, bytes (`--memory`, default 1.5 GiB): the tile side is reduced
    /// and fewer tiles run at once when needed (`MemoryPlan`).
    public var memoryLimit: Int = 1_610_612_736
    /// Dense matching; sub-pixel by the equiangular fit: on the Réunion pair (full s2p ROI) NMAD
    /// vs s2p 0.340 m, against 0.846 m with the matcher's default window SSD and 0.680 m with none.
    /// Coarse-to-fine search (`.pyramid`, per-pixel windows of 32 disparities): on the same ROI
    /// NMAD 0.341 m (full search 0.340 m), valid 99.1 % (98.9 %), peak RSS 138 vs 268 MiB, CPU
    /// 7-20 % lower (two runs, one on a loaded machine); ranges under 64 disparities are searched
    /// in full anyway.
    public var matching = DSMConfiguration.defaultMatching
    /// The default of `matching` (the command line starts from it too).
    public static let defaultMatching: StereoMatchingParameters = {
        var p = StereoMatchingParameters()
        p.subpixel = .equiangular
        p.search = .pyramid
        return p
    }()
    public var rectification = RectificationParameters()
    /// Estimate and correct the rows offset (RPC relative pointing error) per tile.
    public var correctRowOffset = true
    /// Grid step of the row-offset patches, pixels (`estimateRowOffset`'s `step`).
    public var rowOffsetStep = 12
    /// Rows searched each side for the row offset (`estimateRowOffset`'s `searchRows`), when a
    /// first ±3-row search finds too few patches: the
    /// pointing error is -0.8 px on the Réunion pair, -4.8 px on the Ventoux pair (CARS data).
    public var rowOffsetSearch = 8
    /// Points whose largest triangulation residual exceeds this plus half the tile's row offset
    /// (the pointing error the correction moved into the rays) are dropped (pixels).
    public var maxResidual: Double = 1.0
    /// Points more than this above or below the height range are dropped (metres).
    public var heightTolerance: Double = 0
    /// The matches are triangulated through a lattice approximation checked to this bound
    /// (metres, `TriangulationLattice`: interpolated only where within it, exact elsewhere);
    /// nil: every match triangulated exactly.
    public var triangulationTolerance: Double? = 0.005
    /// Rasterisation: per-cell median, holes of at most `maxHoleArea` cells filled.
    public var rasterization = RasterizationParameters(statistic: .median, maxHoleArea: 20, tileSize: 512)
    /// Output DSM (Float32 COG, NaN nodata); written atomically.
    public var output: String
    /// LAS 1.4 point cloud of all the points (format 6, UTM, CRS as WKT; `LASWriter`), nil: none.
    public var pointCloud: String?
    /// Per-cell confidence on the DSM grid (`writeConfidence`: mean matcher confidence and point
    /// count, Float32 COG), nil: none.
    public var confidence: String?
    /// Ortho texture: the reference image orthorectified on the DSM's own grid and heights
    /// (`Orthorectifier` with the DSM as height source, bicubic), a COG beside the DSM; cells
    /// without a height are no data.
    public var orthoTexture: String?
    /// Folder keeping each tile's points (`TileStore`): a rerun with it skips finished tiles.
    public var keepTiles: String?
    /// Points kept on disk between the matching and the rasterisation (`PointSpill`, a hidden
    /// folder beside the output, removed at the end), so memory does not grow with the scene;
    /// false keeps them all in memory (the reference the out-of-core path is tested against).
    public var spillsPoints = true
    /// The sparse analysis before the tiles: pointing corrections and measured height ranges.
    public var sparse = SparseParameters()
    /// Default-domain metadata the run adds to the DSM (pointing corrections, height source).
    var outputMetadata: [String: String] = [:]

    public init(reference: String, secondary: String, heights: HeightPrior, output: String) {
        self.reference = reference
        self.secondary = secondary
        self.heights = heights
        self.output = output
    }

    /// Largest resolution accepted (metres): above it a DSM of a VHR pair makes no sense.
    public static let maxResolution = 100.0

    /// Checks the numeric settings.
    /// - Throws: `DSMPipelineError.invalidConfiguration`.
    public func validate() throws {
        func fail(_ s: String) -> DSMPipelineError { .invalidConfiguration(s) }
        guard resolution.isFinite, resolution > 0, resolution <= Self.maxResolution else {
            throw fail("resolution must be in (0, \(Self.maxResolution)] metres, got \(resolution)")
        }
        guard tileSize >= 16, tileSize <= 5000 else { throw fail("tile size must be in 16...5000 pixels, got \(tileSize)") }
        if let threads, threads < 1 { throw fail("threads must be at least 1, got \(threads)") }
        guard memoryLimit > 0 else { throw fail("memory limit must be positive, got \(memoryLimit)") }
        guard maxResidual > 0 else { throw fail("maximum residual must be positive, got \(maxResidual)") }
        guard heightTolerance >= 0 else { throw fail("height tolerance must not be negative") }
        guard rasterization.tileSize >= 1, rasterization.tileSize <= 1 << 16, rasterization.maxHoleArea >= 0 else {
            throw fail("output tile size must be in 1...65536 cells and the hole area not negative, got \(rasterization.tileSize) "
                       + "and \(rasterization.maxHoleArea)")
        }
        if let t = triangulationTolerance, !(t > 0 && t <= 1) {
            throw fail("triangulation tolerance must be in (0, 1] metres, got \(t)")
        }
        guard rowOffsetStep >= 1 else { throw fail("row-offset step must be at least 1") }
        guard rowOffsetSearch >= 1 else { throw fail("row-offset search must be at least 1 row") }
        guard !output.isEmpty else { throw fail("no output path") }
        try matching.validate()
        try sparse.validate()
    }
}

/// Progress of a run: tiles finished out of all, seconds since the start.
public struct DSMProgress: Sendable {
    public var tilesDone: Int
    public var tilesTotal: Int
    public var elapsed: Double
    /// Remaining seconds extrapolated from the tiles done (nil before the first).
    public var eta: Double? { tilesDone > 0 ? elapsed / Double(tilesDone) * Double(tilesTotal - tilesDone) : nil }
    public var fraction: Double { tilesTotal > 0 ? Double(tilesDone) / Double(tilesTotal) : 1 }
}

/// What a run produced.
public struct DSMRunSummary: Sendable {
    public var output: String
    public var roi: Window
    public var heights: HeightRange
    /// Tiles processed: reference tiles times secondary images (each pair has its own ROI).
    public var tiles: Int
    /// The tile side used and the tiles run at once (from `memoryLimit`, `tileSize`, `threads`),
    /// and the memory model's peak for them (bytes).
    public var tileSize: Int
    public var workers: Int
    public var estimatedPeakBytes: Int
    /// Stereo pairs (secondary images), and the points each gave (before fusion).
    public var pairs: Int
    public var pointsPerPair: [Int]
    /// Tiles that needed their second try.
    public var retriedTiles: Int
    /// Tiles read back from `keepTiles` instead of computed.
    public var reusedTiles: Int
    /// Tiles whose row offset could not be measured and that were matched with their pair's
    /// median offset instead.
    public var tilesWithPairRowOffset: Int
    /// Tiles matched without the row correction (none measured on their pair, or disabled).
    public var tilesWithoutRowCorrection: Int
    /// Median of the tiles' row offsets (pixels), nil when none was measured.
    public var medianRowOffset: Double?
    /// Reference pixels of the pairs' ROIs (the ROI times the pairs when all see it), pixels
    /// with a valid disparity, and points kept (all pairs).
    public var roiPixels: Int
    public var matchedPixels: Int
    public var points: Int
    /// Points dropped for their triangulation residual, and for their height.
    public var rejectedResidual: Int
    public var rejectedHeight: Int
    public var dsm: DSMSummary
    /// Share of the pairs' ROI pixels that gave a point.
    public var pointShare: Double { roiPixels > 0 ? Double(points) / Double(roiPixels) : 0 }
    /// Share of the grid's cells with a height.
    public var validShare: Double { Double(dsm.validCells) / Double(max(1, dsm.grid.width * dsm.grid.height)) }
    public var seconds: Double
    /// Wall seconds of the phases: before the tiles (geometry, sparse analysis, plan), the tiles
    /// (matching, triangulation, streamed binning), and the final write (the rasters from the
    /// points, the COG conversion, the LAS file, the ortho texture).
    public var phaseSeconds: (prepare: Double, tiles: Double, write: Double) = (0, 0, 0)
    /// What the sparse analysis found (nil when it was off), where the heights searched come
    /// from, and what the user must be told (a contradicted prior, a failed measurement, many
    /// points dropped for their height).
    public var sparse: SparseAnalysis? = nil
    public var heightSource: String = ""
    public var warnings: [String] = []
}

/// Errors of the pipeline itself (geometry, rectification, RPC and raster errors pass through).
public enum DSMPipelineError: Error, CustomStringConvertible, Sendable, Equatable {
    case invalidConfiguration(String)
    /// Tiles that failed twice: their windows and the last error of each.
    case tilesFailed([TileFailure])
    /// No point survived matching and filtering.
    case noPoints(roi: Window)
    /// The caller's `isCancelled` answered true (checked between tiles); nothing was written.
    case cancelled(tilesDone: Int, tilesTotal: Int)

    public struct TileFailure: Sendable, Equatable {
        public var tile: Window
        public var message: String
    }

    public var description: String {
        switch self {
        case .invalidConfiguration(let s): "invalid configuration: \(s)"
        case .tilesFailed(let failures):
            "\(failures.count) tile(s) failed twice: "
                + failures.map { "[\($0.tile)]: \($0.message)" }.joined(separator: "; ")
        case .noPoints(let roi): "no 3D point over the ROI (\(roi)): nothing matched"
        case .cancelled(let done, let total): "cancelled after \(done) of \(total) tiles; nothing written"
        }
    }
}
