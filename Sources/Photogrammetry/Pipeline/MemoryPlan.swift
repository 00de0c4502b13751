import Foundation
import Raster

/// How a run fits `DSMConfiguration.memoryLimit` (`--memory`): the tile side and the number of
/// tiles in flight, from a model of the peak resident memory, the larger of the matching phase
/// and the rasterisation phase:
///
///     max(baseline + pointBytes · points + workers · tileBytes(tile side),
///         baseline + rasterWorkers · rasterizationBytes)
///
/// - baseline: the process and the images' models (`baselineBytes`), plus GDAL's block cache
///   (`cacheBytes`: the process's cap, which `dsm-run` and the worker set from their budget);
/// - the points: with the in-memory path every pixel of the pairs' ROIs may give one, held
///   until the rasterisation (`pointBytes` each: the tile's lon/lat/h/confidence, the projected
///   cloud, the rasteriser's buckets); 0 with the out-of-core path (`PointSpill`), where each
///   tile's points leave memory when it finishes (`spilledTilePointBytes` a pixel, counted in
///   `tileBytes`) and the rasterisation holds one output tile (`rasterizationBytes`);
/// - per tile in flight: the matcher's buffers (`StereoMatcher.estimatedBytes` for the
///   rectified tile with its margins and disparity range) plus the rectified images and maps.
///
/// The tile side is the configured one, halved (down to `minimumTile`) until one tile fits;
/// then as many workers as fit, at most the threads asked for; the output tiles are rasterised
/// by as many workers as fit likewise (`rasterWorkers`).
struct MemoryPlan: Sendable, Equatable {
    var tileSize: Int
    var workers: Int
    /// Output tiles rasterised at once after the matching.
    var rasterWorkers = 1
    /// The model's peak for this plan, bytes.
    var estimatedBytes: Int

    static let baselineBytes = 96 << 20
    static let pointBytes = 96
    static let minimumTile = 64
    /// A finished tile's point (28 bytes), its projection (24, plus GDAL's 24 of scratch) and its
    /// 28-byte spill record, per pixel of the tile (at most one point a pixel).
    static let spilledTilePointBytes = 112
    /// An output tile's cell while rasterised: heights, counts, the median's offsets, the
    /// mean's sums, the hole filling's labels and the cropped copies.
    static let rasterCellBytes = 48
    /// A point of an output tile's bin while rasterised: the file's bytes, the decoded arrays,
    /// the confidences as Double, the median's copy.
    static let binPointBytes = 80
    /// Output tiles hold up to this many times the scene's mean points per cell (denser where
    /// the terrain faces the sensors).
    static let densityMargin = 4

    /// - Parameters:
    ///   - tileBytes: the bytes one tile of a side needs while it is processed.
    ///   - points: the most points the run can hold (pixels of the pairs' ROIs).
    /// - Throws: `DSMPipelineError.invalidConfiguration` when even one tile of the smallest side
    ///   does not fit beside the points.
    ///   - rasterizationBytes: the bytes the rasterisation needs after the matching
    ///     (`rasterizationBytes(grid:points:parameters:)` for the out-of-core path; 0 when it is
    ///     counted in `points`).
    static func choose(
        limit: Int, tileSize: Int, threads: Int, points: Int, rasterizationBytes: Int = 0, cacheBytes: Int = 0,
        tileBytes: (Int) throws -> Int
    ) throws -> MemoryPlan {
        let baselineBytes = Self.baselineBytes + cacheBytes
        let rasterWorkers = Self.rasterWorkers(limit: limit, threads: threads, rasterizationBytes: rasterizationBytes, cacheBytes: cacheBytes)
        let rasterPeak = baselineBytes + rasterWorkers * rasterizationBytes
        guard baselineBytes + rasterizationBytes <= limit else {
            throw DSMPipelineError.invalidConfiguration(
                "a memory limit of \(megabytes(limit)) is too small: rasterising one DSM output tile needs about "
                    + "\(megabytes(baselineBytes + rasterizationBytes)) (GDAL's block cache of \(megabytes(cacheBytes)) included); "
                    + "raise --memory")
        }
        let fixed = baselineBytes + pointBytes * points
        var side = tileSize
        while true {
            let perTile = try tileBytes(side)
            let room = limit - fixed
            if room >= perTile {
                let workers = max(1, min(threads, room / perTile))
                return MemoryPlan(tileSize: side, workers: workers, rasterWorkers: rasterWorkers,
                                  estimatedBytes: max(fixed + workers * perTile, rasterPeak))
            }
            guard side / 2 >= minimumTile else {
                throw DSMPipelineError.invalidConfiguration(
                    "a memory limit of \(megabytes(limit)) is too small: the points of the ROI and one \(side)-pixel tile "
                        + "need about \(megabytes(fixed + perTile)); raise --memory or use a smaller ROI")
            }
            side /= 2
        }
    }

    /// Output tiles rasterised at once: as many as fit beside the baseline and the block cache,
    /// at least one, at most `threads`.
    static func rasterWorkers(limit: Int, threads: Int, rasterizationBytes: Int, cacheBytes: Int) -> Int {
        guard rasterizationBytes > 0 else { return 1 }
        return max(1, min(threads, (limit - baselineBytes - cacheBytes) / rasterizationBytes))
    }

    /// Bytes the out-of-core rasterisation needs: one output tile with its halo (cells), the
    /// points of its bin (the scene's mean points per cell, `points` over the grid's cells, times
    /// `densityMargin`), and the bins' write buffers.
    static func rasterizationBytes(grid: DSMGrid, points: Int, parameters: RasterizationParameters) -> Int {
        let side = max(1, parameters.tileSize) + 2 * max(0, parameters.maxHoleArea)
        let cells = min(side, grid.width) * min(side, grid.height)
        let perCell = Double(points) / Double(grid.width * grid.height)
        let binPoints = Int((perCell * Double(densityMargin * cells)).rounded(.up))
        return rasterCellBytes * cells + binPointBytes * binPoints + PointSpill.binBufferBytes
    }

    static func megabytes(_ bytes: Int) -> String { String(format: "%.0f MiB", Double(bytes) / 1_048_576) }

    /// Bytes one tile of `side` pixels needs: the rectification of the pairs' first tiles at that
    /// side (their margins and disparity ranges; the largest), matcher buffers plus about 40
    /// bytes a rectified pixel (two Float images, two resampling maps, disparity, confidence).
    static func tileBytes(side: Int, reference: StereoImage, secondaries: [StereoImage], pairROIs: [Window],
                          heights: ClosedRange<Double>, parameters: RectificationParameters) throws -> Int {
        var most = 0
        for (secondary, roi) in zip(secondaries, pairROIs) {
            let tile = Window(x: roi.x, y: roi.y, width: min(side, roi.width), height: min(side, roi.height))
            let r = try TileRectification.compute(reference: reference, secondary: secondary, tile: tile, heights: heights,
                                                  parameters: parameters)
            let cells = r.width * r.height
            most = max(most, StereoMatcher.estimatedBytes(width: r.width, height: r.height, disparityCount: r.disparities.count) + 40 * cells)
        }
        return most
    }
}

/// Parses a memory size: bytes, or a number with K, M, G (binary: 1.5G = 1.5 · 2^30), case-insensitive.
public func parseMemorySize(_ text: String) -> Int? {
    let t = text.trimmingCharacters(in: .whitespaces).uppercased()
    let units: [Character: Double] = ["K": 1024, "M": 1_048_576, "G": 1_073_741_824]
    var number = Substring(t), factor = 1.0
    if let last = t.last, let u = units[last] { number = t.dropLast(); factor = u }
    if number.hasSuffix("I") || number.hasSuffix("B") { return nil }
    guard let v = Double(number), v.isFinite, v > 0, v * factor < 9e18 else { return nil }
    return Int(v * factor)
}

extension DSMPipeline {
    /// Caps GDAL's block cache (`GDALBlockCache`, process-wide; only ever lowered) for runs of
    /// `budget` bytes each: 64 MiB, or a sixteenth of the budget when that is less (unless
    /// GDAL_CACHEMAX is set). The tiles read their input blocks and write whole output blocks
    /// once, so a larger cache only holds dirty output blocks longer and makes the peak grow with
    /// the scene until it is full (`Benchmarks/results/dsm-scale.md`). The memory plan counts
    /// the cap, so a run's budget includes it; the pipeline's entry points call this, so a
    /// library user gets a bounded run too.
    public static func boundBlockCache(budget: Int?) {
        GDALBlockCache.bound(toAtMost: min(64 << 20, (budget ?? .max) / 16))
    }
}
