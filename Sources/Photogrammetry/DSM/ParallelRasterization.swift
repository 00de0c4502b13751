import Dispatch
import Foundation
import Raster
import Synchronization

/// The points of one output tile, for `writeDSMTiles`: a cloud holding, in the whole cloud's
/// order, at least the points of the tile's padded window, and their confidences when a
/// confidence raster is written.
public struct TilePointSet: Sendable {
    public var cloud: PointCloud
    public var confidences: [Float]?
    public init(cloud: PointCloud, confidences: [Float]?) {
        self.cloud = cloud
        self.confidences = confidences
    }
}

/// Writes the DSM at `path` and, when `confidencePath` is given, the confidence raster from each
/// output tile's points, `workers` tiles at once: each tile is rasterised (cell statistic, small
/// holes filled within its halo, converted to the datum) by the worker that read its points, and
/// written under a lock; both files appear only when complete (`RasterWriter`). Every tile is
/// computed from its own points only, so the files are those of `writeDSM` and
/// `writeConfidence` run one tile after the other, bit for bit, whatever the order.
///
/// - Parameter done: called after each tile (any worker thread, serialised) with its index;
///   `PointSpill` drops the tile's points there.
/// - Complexity: per tile the cost of `rasterizeCloud` and `fillSmallHoles`; memory `workers`
///   padded tiles and their points.
/// - Throws: the first error of a tile (the others stop at their next tile), `RasterError`.
public func writeDSMTiles(
    grid: DSMGrid, to path: String, confidence confidencePath: String?, parameters: RasterizationParameters,
    datum: VerticalDatum, options: WriteOptions = .cog, metadata extra: [String: String] = [:], workers: Int,
    points: @Sendable (Tile) throws -> TilePointSet, done: (@Sendable (Int) -> Void)? = nil
) throws -> DSMSummary {
    let tiling = try rasterizationTiling(grid: grid, parameters: parameters)
    let writers = Mutex<(dsm: RasterWriter, confidence: RasterWriter?, summary: DSMSummary)>((
        try dsmWriter(grid: grid, to: path, parameters: parameters, datum: datum, options: options, metadata: extra),
        try confidencePath.map { try confidenceWriter(grid: grid, to: $0, options: options) },
        DSMSummary(grid: grid, validCells: 0, cellsWithPoints: 0)))
    let next = Atomic<Int>(0)
    let failure = Mutex<Error?>(nil)
    DispatchQueue.concurrentPerform(iterations: max(1, min(workers, tiling.count))) { _ in
        while failure.withLock({ $0 == nil }) {
            let t = next.wrappingAdd(1, ordering: .relaxed).oldValue
            guard t < tiling.count else { break }
            let tile = tiling[t]
            do {
                let set = try points(tile)
                let result = rasterizeTile(tile, cloud: set.cloud, grid: grid, parameters: parameters)
                let heights = try datumHeights(result, grid: grid, datum: datum)
                let valid = heights.storage.reduce(0) { $0 + ($1.isNaN ? 0 : 1) }
                let withPoints = result.counts.storage.reduce(0) { $0 + ($1 > 0 ? 1 : 0) }
                var confidence: ImageBuffer<Float>?
                if confidencePath != nil, let values = set.confidences {
                    let cloud = PointCloud(x: set.cloud.x, y: set.cloud.y, z: values.map(Double.init), epsg: set.cloud.epsg)
                    confidence = confidenceBands(rasterizeCloud(cloud, grid: grid, window: tile.core, statistic: .mean))
                }
                try writers.withLock { w in
                    try w.dsm.write(heights, x: tile.core.x, y: tile.core.y)
                    if let confidence { try w.confidence?.write(confidence, x: tile.core.x, y: tile.core.y) }
                    w.summary.validCells += valid
                    w.summary.cellsWithPoints += withPoints
                }
                done?(t)
            } catch {
                failure.withLock { if $0 == nil { $0 = error } }
            }
        }
    }
    if let error = failure.withLock({ $0 }) {
        writers.withLock { $0.dsm.abort(); $0.confidence?.abort() }
        throw error
    }
    return try writers.withLock { w in
        try w.dsm.commit()
        do { try w.confidence?.commit() } catch {
            // The DSM is in place, the confidence raster is not: the run failed as a whole.
            unlink(path)
            throw error
        }
        return w.summary
    }
}
