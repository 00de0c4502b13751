import ArgumentParser
import Foundation
import Photogrammetry
import Raster

/// `dsm-run dsm IMG1 IMG2 [IMG3 ...] -o dsm.tif`: the end-to-end DSM of a stereo pair or a
/// multi-view set (each further image matched with IMG1, all points fused).
struct DSMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dsm",
        abstract: "Digital surface model of a stereo pair or tri-stereo: rectify, match, triangulate, rasterise (Float32 COG, NaN nodata).",
        discussion: """
            IMG1 is the reference: the ROI and the tiles are in its pixels. With more than two images, each of \
            IMG2, IMG3... is matched with IMG1 and the points of all pairs are fused by the per-cell median. Heights are WGS84 ellipsoidal unless \
            --datum egm96. No height prior is needed: a sparse analysis first matches the pair at a coarse level, \
            corrects each secondary's pointing (RPC translation in image space) and measures the terrain's height range per \
            tile. --height H (H ± --height-margin) or a DEM (--dem, with --geoid when its heights are above EGM96, as SRTM) \
            narrow the search; the sparse matches check them, and a range they contradict is widened with a warning. \
            The grid is UTM, on multiples of the resolution.
            """
    )

    @Argument(help: "Reference image (with its RPC, or see --rpc1).")
    var image1: String

    @Argument(help: "Secondary image(s): IMG2 (with its RPC, or see --rpc2), then IMG3... (with their own RPCs).")
    var secondaries: [String]

    @Option(name: .shortAndLong, help: "Output DSM (Float32 COG, NaN nodata); written only when complete.")
    var output: String

    @Option(help: "Also write all the 3D points as a LAS 1.4 point cloud (format 6, UTM, intensity = match confidence x 65535, point source = pair).")
    var points: String?

    @Option(help: "Also write the per-cell confidence on the DSM grid (Float32 COG: band 1 mean match confidence in [0, 1], band 2 point count).")
    var confidence: String?

    @Option(help: "Also write the ortho texture: the reference image orthorectified on the DSM's grid and heights (COG, bicubic).")
    var ortho: String?

    @Option(help: "Keep each tile's points in this folder; a rerun with the same folder and settings skips the finished tiles.")
    var keepTiles: String?

    @Option(help: "RPC model of the reference image (DIMAP XML, .geom, RPC text, rpcm JSON...).")
    var rpc1: String?

    @Option(help: "RPC model of the secondary image.")
    var rpc2: String?

    @Option(help: "DSM cell size in metres (default 0.5).")
    var resolution: Double = 0.5

    @Option(help: "Region of the reference image COL,ROW,WIDTH,HEIGHT (pixels); default: all it shares with IMG2.")
    var roi: String?

    @Option(help: "Terrain height (WGS84 ellipsoid, metres), searched ± --height-margin (optional: measured when absent).")
    var height: Double?

    @Option(help: "Margin around --height in metres (default 100).")
    var heightMargin: Double = 100

    @Option(help: "DEM giving the terrain height range (GDAL raster; optional).")
    var dem: String?

    @Option(help: "EGM96 geoid grid (e.g. egm96_15.gtx): for a DEM above the geoid, and for --datum egm96.")
    var geoid: String?

    @Option(help: "Vertical datum of the output: ellipsoid (default) or egm96 (needs --geoid).")
    var datum: String = "ellipsoid"

    @Option(help: "Tile side in reference pixels (default 300, as s2p).")
    var tile: Int = 300

    @Option(help: "Tiles processed at once (default: the number of cores).")
    var threads: Int?

    @Option(help: "Peak memory to stay under, e.g. 1.5G, 800M (default 1.5G): smaller tiles and fewer at once when needed.")
    var memory: String = "1.5G"

    @Option(help: "Fill DSM holes of at most this many cells (default 20).")
    var maxHoleArea: Int = 20

    @Option(help: "Drop points whose triangulation residual exceeds this plus half the tile's row offset (pixels, default 1).")
    var maxResidual: Double = 1

    @OptionGroup var sgm: SGMOptions

    @Option(help: "Sub-pixel refinement: equiangular (default), windowSSD, parabola or none.")
    var subpixel: String = "equiangular"

    @Option(help: "Per-cell statistic: median (default) or mean.")
    var statistic: String = "median"

    @Option(help: ArgumentHelp("Rows searched each side for the row offset (default 8).", visibility: .hidden))
    var rowSearch: Int = 8

    @Flag(help: "Skip the row-offset (pointing) correction.")
    var noRowCorrection: Bool = false

    @Flag(help: "Skip the sparse analysis (pointing correction and measured heights): needs --height or --dem.")
    var noSparse: Bool = false

    @Flag(help: ArgumentHelp("Triangulate every match exactly instead of through the checked lattice approximation (5 mm).",
                             visibility: .hidden))
    var exactTriangulation: Bool = false

    @Option(help: "Largest relative pointing error accepted, pixels (default 30): a pair whose RPCs disagree with its images by more stops the run.")
    var maxPointingError: Double = 30

    @Flag(help: ArgumentHelp("Keep all points in memory until the rasterisation (the pre-out-of-core path, for benchmarks).",
                             visibility: .hidden))
    var inMemoryPoints: Bool = false

    func validate() throws {
        try checkEdges()
        guard !secondaries.isEmpty else { throw ValidationError("give at least two images: the reference and a secondary") }
        guard resolution.isFinite, resolution > 0, resolution <= DSMConfiguration.maxResolution else {
            throw ValidationError("--resolution must be in (0, \(Int(DSMConfiguration.maxResolution))] metres, got \(resolution)")
        }
        if let roi { _ = try Self.parseROI(roi) }
        guard height == nil || dem == nil else { throw ValidationError("give at most one of --height H and --dem DEM") }
        if noSparse, height == nil, dem == nil {
            throw ValidationError("--no-sparse needs --height H or --dem DEM: without the sparse analysis nothing measures the heights")
        }
        guard maxPointingError.isFinite, maxPointingError > 0, maxPointingError <= 1000 else {
            throw ValidationError("--max-pointing-error must be in (0, 1000] pixels, got \(maxPointingError)")
        }
        if let height { guard height.isFinite, heightMargin.isFinite, heightMargin >= 0 else {
            throw ValidationError("--height and --height-margin must be finite, the margin >= 0") } }
        guard datum == "ellipsoid" || datum == "egm96" else { throw ValidationError("--datum must be ellipsoid or egm96, got \(datum)") }
        if datum == "egm96" && geoid == nil { throw ValidationError("--datum egm96 needs --geoid FILE") }
        guard tile >= 16, tile <= 5000 else { throw ValidationError("--tile must be in 16...5000 pixels, got \(tile)") }
        if let threads { guard threads >= 1 else { throw ValidationError("--threads must be at least 1") } }
        guard parseMemorySize(memory) != nil else { throw ValidationError("--memory must be a size such as 1.5G or 800M, got '\(memory)'") }
        guard maxHoleArea >= 0 else { throw ValidationError("--max-hole-area must not be negative") }
        guard maxResidual > 0 else { throw ValidationError("--max-residual must be positive") }
        guard rowSearch >= 1 else { throw ValidationError("--row-search must be at least 1") }
        guard SubpixelMethod(rawValue: subpixel) != nil else {
            throw ValidationError("--subpixel must be one of \(SubpixelMethod.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard statistic == "median" || statistic == "mean" else { throw ValidationError("--statistic must be median or mean") }
        do { try matching().validate() } catch { throw ValidationError("\(error)") }
    }

    func matching() -> StereoMatchingParameters {
        var p = DSMConfiguration.defaultMatching
        sgm.apply(to: &p)
        p.subpixel = SubpixelMethod(rawValue: subpixel) ?? .windowSSD
        return p
    }

    /// "COL,ROW,WIDTH,HEIGHT" with integers, positive sizes.
    static func parseROI(_ text: String) throws -> Window {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 4, let x = parts[0], let y = parts[1], let w = parts[2], let h = parts[3] else {
            throw ValidationError("--roi must be COL,ROW,WIDTH,HEIGHT (four integers), got '\(text)'")
        }
        guard w > 0, h > 0 else { throw ValidationError("--roi width and height must be positive, got '\(text)'") }
        guard x >= 0, y >= 0 else { throw ValidationError("--roi must start inside the image (COL and ROW at least 0), got '\(text)'") }
        return Window(x: x, y: y, width: w, height: h)
    }

    func run() throws {
        // GDAL's block cache (5 % of the RAM by default) fills with the final write's tiles,
        // beyond the --memory budget on large scenes: capped within it, and counted by the plan.
        boundGDALBlockCache(budget: parseMemorySize(memory))
        let geoidGrid = try geoid.map { try Geoid(path: $0) }
        let prior: HeightPrior = if let dem {
            .dem(path: dem, geoid: geoidGrid)
        } else if let height {
            .range(try HeightRange.given(height, margin: heightMargin))
        } else {
            .measured
        }
        var c = DSMConfiguration(reference: image1, secondary: secondaries[0], heights: prior, output: output)
        c.additionalSecondaries = secondaries.dropFirst().map { DSMImageInput(path: $0) }
        c.referenceRPC = rpc1
        c.secondaryRPC = rpc2
        c.roi = try roi.map(Self.parseROI)
        c.resolution = resolution
        if datum == "egm96", let geoidGrid { c.datum = .geoid(geoidGrid) }
        c.tileSize = tile
        c.threads = threads
        c.memoryLimit = parseMemorySize(memory) ?? c.memoryLimit
        c.maxResidual = maxResidual
        c.rasterization.maxHoleArea = maxHoleArea
        c.matching = matching()
        c.correctRowOffset = !noRowCorrection
        c.rowOffsetSearch = rowSearch
        c.rasterization.statistic = statistic == "mean" ? .mean : .median
        c.pointCloud = points
        c.confidence = confidence
        c.orthoTexture = ortho
        c.keepTiles = keepTiles
        Console.keptOnInterrupt = keepTiles.map { "the finished tiles in \($0) for a rerun" }
        c.spillsPoints = !inMemoryPoints
        c.sparse.enabled = !noSparse
        if exactTriangulation { c.triangulationTolerance = nil }
        c.sparse.maxPointingError = maxPointingError
        let interactive = isatty(2) != 0
        let summary: DSMRunSummary
        do {
            summary = try DSMPipeline.run(configuration: c) { p in
                let eta = p.eta.map { Self.clock($0) } ?? "--:--"
                let line = String(format: "tiles %d/%d (%3.0f%%), elapsed %@, ETA %@", p.tilesDone, p.tilesTotal,
                                  100 * p.fraction, Self.clock(p.elapsed), eta)
                Console.error(((interactive ? "\r" : "") + line + (interactive ? "" : "\n")))
            }
        } catch {
            if interactive { Console.error("\n") }
            throw error
        }
        if interactive { Console.error("\n") }
        for warning in summary.warnings { Console.error("warning: \(warning)\n") }
        let g = summary.dsm.grid
        print("wrote \(summary.output): \(g.width)x\(g.height) cells of \(resolution) m, EPSG \(g.epsg.map(String.init) ?? "none"), "
              + "\(c.datum.metadataValue)")
        print(String(format: "tiles of %d px, %d at once (memory model: peak about %.0f MiB of %@)", summary.tileSize, summary.workers,
                     Double(summary.estimatedPeakBytes) / 1_048_576, memory))
        if summary.pairs > 1 {
            print("\(summary.pairs) pairs fused; points per pair: \(summary.pointsPerPair.map(String.init).joined(separator: ", "))")
        }
        if let points { print("wrote \(points): \(summary.points) points (LAS 1.4)") }
        if let confidence { print("wrote \(confidence): confidence and point count per cell") }
        if let ortho { print("wrote \(ortho): reference image orthorectified on the DSM") }
        print(String(format: "ROI %@, heights %@; %d tiles (%d reused, %d retried, %d with the pair's row offset, %d without row correction, median row offset %@ px)",
                     summary.roi.description, summary.heights.description, summary.tiles, summary.reusedTiles, summary.retriedTiles,
                     summary.tilesWithPairRowOffset, summary.tilesWithoutRowCorrection, summary.medianRowOffset.map { String(format: "%.2f", $0) } ?? "n/a"))
        if let sparse = summary.sparse {
            print(String(format: "sparse analysis: %d points tried, matched %@ (coarse level 1/%@), %.2f s",
                         sparse.candidates, sparse.matched.map(String.init).joined(separator: ", "),
                         sparse.factors.map(String.init).joined(separator: ", "), sparse.seconds))
            for (k, c) in sparse.corrections.enumerated() {
                print("pointing: \(c.map(\.description) ?? "\(secondaries[k]): not corrected (too few matches)")")
            }
            print("pointing corrections applied (px, shared out so that they average to zero): "
                  + zip([image1] + secondaries, sparse.applied).map { String(format: "%@ %+.2f %+.2f", $0, $1.x, $1.y) }
                  .joined(separator: "; "))
        }
        print("heights: \(summary.heightSource)")
        print(String(format: "%d points from %d matched pixels of %d (%.1f %%); dropped %d for residual > %.2g px, %d for height",
                     summary.points, summary.matchedPixels, summary.roiPixels, 100 * summary.pointShare,
                     summary.rejectedResidual, maxResidual, summary.rejectedHeight))
        print(String(format: "%d valid cells of %d (%.1f %%), %d with points; wall time %.1f s",
                     summary.dsm.validCells, g.width * g.height, 100 * summary.validShare, summary.dsm.cellsWithPoints,
                     summary.seconds))
        let p = summary.phaseSeconds
        print(String(format: "phases: preparation %.1f s, tiles %.1f s, final write %.1f s", p.prepare, p.tiles, p.write))
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return String(format: "%d:%02d", s / 60, s % 60)
    }
}

