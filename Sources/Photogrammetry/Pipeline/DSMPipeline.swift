import Dispatch
import Foundation
import Raster
import Synchronization

/// The end-to-end DSM of a stereo pair or a multi-view set (`dsm-run dsm`), s2p's chain: pair
/// geometry and height range; per reference tile and secondary image, epipolar rectification
/// with the row-offset (pointing) correction, dense matching over the tile's disparity range,
/// triangulation of every valid disparity whose reference pixel lies in the tile (points with a
/// residual above `maxResidual` or a height outside the range dropped); then the points of all
/// pairs fused by the per-cell median on a UTM grid over the ROI's footprint, small holes
/// filled, written as a Float32 COG (atomically: nothing at the output on failure). Out of
/// core by default: each tile's points go to disk as it finishes and are rasterised per output
/// tile (`PointSpill`), so the peak memory does not grow with the scene (`MemoryPlan`).
public enum DSMPipeline {
    /// Runs the pipeline. `progress` is called (from worker threads, serialised) after each tile;
    /// `isCancelled` (e.g. a job queue's flag) is checked before each tile, and a run it stops
    /// throws `DSMPipelineError.cancelled` without writing anything.
    ///
    /// - Throws: `DSMPipelineError` (bad configuration, tiles failing twice, no point, cancelled),
    ///   `GeometryError` (no overlap, ROI outside the image, DEM problems), `RPCError` (no RPC),
    ///   `RasterError`, `DSMError`.
    public static func run(
        configuration c: DSMConfiguration, progress: (@Sendable (DSMProgress) -> Void)? = nil,
        isCancelled: (@Sendable () -> Bool)? = nil
    ) throws -> DSMRunSummary {
        let start = Date()
        try c.validate()
        // Fail now, not after the matching, when the output cannot be written.
        let folder = (c.output as NSString).deletingLastPathComponent
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.isEmpty ? "." : folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw DSMPipelineError.invalidConfiguration("the output folder \(folder) does not exist")
        }
        for (option, path) in [("point cloud", c.pointCloud), ("confidence", c.confidence), ("ortho texture", c.orthoTexture)] {
            guard let path else { continue }
            let dir = (path as NSString).deletingLastPathComponent
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dir.isEmpty ? "." : dir, isDirectory: &isDir), isDir.boolValue else {
                throw DSMPipelineError.invalidConfiguration("the \(option) output folder \(dir) does not exist")
            }
        }
        let prep = try prepare(c)
        var c = c
        c.outputMetadata = outputMetadata(sparse: prep.sparse, heightSource: prep.heights.source, reference: c.reference)
        let (reference, secondaries, geometry, grid, plan, jobs) = (prep.reference, prep.secondaries, prep.geometry, prep.grid, prep.plan, prep.jobs)
        let roi = geometry.roi
        let heights = geometry.heights
        let store = try c.keepTiles.map {
            try TileStore(folder: $0, configuration: c, heights: heights.closedRange,
                          corrections: prep.sparse?.applied.map { [$0.x, $0.y] } ?? [])
        }
        // The points on disk, binned by output tile as the tiles finish; removed whatever happens.
        let spill = c.spillsPoints
            ? try PointSpill(besideOutput: c.output, grid: grid, jobs: jobs.count,
                             streamBins: try rasterizationTiling(grid: grid, parameters: c.rasterization),
                             keepsChunks: c.pointCloud != nil)
            : nil
        defer { spill?.remove() }
        let workers = max(1, min(plan.workers, jobs.count))
        let matchingStart = Date()
        let parts = try matchTiles(jobs, workers: workers, reference: reference, secondaries: secondaries,
                                   configuration: c, store: store, spill: spill,
                                   start: start, progress: progress, isCancelled: isCancelled)

        let count = parts.reduce(0) { $0 + $1.count }
        guard count > 0 else { throw DSMPipelineError.noPoints(roi: roi) }
        let writeStart = Date()
        let dsm = try spill.map { try Self.writeOutputs(spill: $0, grid: grid, configuration: c, workers: plan.rasterWorkers) }
            ?? Self.writeOutputs(parts: parts, pairs: jobs.map(\.pair), grid: grid, configuration: c)
        if let texture = c.orthoTexture {
            try writeOrthoTexture(reference: reference, dsm: c.output, grid: grid, datum: c.datum, to: texture)
        }

        let offsets = parts.filter { !$0.rowOffsetFromPair }.compactMap(\.rowOffset).sorted()
        let matched = parts.reduce(0) { $0 + $1.matched }, rejectedHeight = parts.reduce(0) { $0 + $1.rejectedHeight }
        var warnings = (prep.sparse?.warnings ?? []) + prep.heights.warnings
        if matched > 0, Double(rejectedHeight) > 0.02 * Double(matched) {
            warnings.append(String(format: "%d matched pixels (%.1f %%) fell outside their tile's height range and were dropped: "
                                   + "the range (%@) may be too narrow", rejectedHeight, 100 * Double(rejectedHeight) / Double(matched),
                                   prep.heights.source))
        }
        let end = Date()
        var perPair = [Int](repeating: 0, count: secondaries.count)
        for (job, part) in zip(jobs, parts) { perPair[job.pair] += part.count }
        return DSMRunSummary(
            output: c.output, roi: roi, heights: heights, tiles: jobs.count, tileSize: plan.tileSize, workers: workers,
            estimatedPeakBytes: plan.estimatedBytes, pairs: secondaries.count, pointsPerPair: perPair,
            retriedTiles: parts.filter(\.retried).count, reusedTiles: parts.filter(\.reused).count,
            tilesWithPairRowOffset: parts.filter(\.rowOffsetFromPair).count,
            tilesWithoutRowCorrection: parts.filter { $0.rowOffset == nil }.count,
            medianRowOffset: offsets.isEmpty ? nil : offsets[offsets.count / 2],
            roiPixels: geometry.pairs.reduce(0) { $0 + $1.roi.pixelCount }, matchedPixels: parts.reduce(0) { $0 + $1.matched }, points: count,
            rejectedResidual: parts.reduce(0) { $0 + $1.rejectedResidual },
            rejectedHeight: parts.reduce(0) { $0 + $1.rejectedHeight },
            dsm: dsm, seconds: end.timeIntervalSince(start),
            phaseSeconds: (matchingStart.timeIntervalSince(start), writeStart.timeIntervalSince(matchingStart), end.timeIntervalSince(writeStart)),
            sparse: prep.sparse, heightSource: prep.heights.source, warnings: warnings)
    }

    /// Recomputes, in parallel, the tiles whose row offset could not be measured, applying the
    /// median of the offsets measured on their pair's other tiles (the pointing error varies
    /// slowly across a scene; s2p likewise falls back on a global correction). A pair with no
    /// measured tile, or a recomputation that fails, keeps the uncorrected tile.
    static func redoWithPairRowOffset(
        _ parts: inout [TilePoints], jobs: [TileJob], workers: Int, reference: StereoImage, secondaries: [StereoImage],
        configuration c: DSMConfiguration, store: TileStore?, spill: PointSpill?
    ) {
        var medians: [Int: Double] = [:]
        for pair in Set(jobs.map(\.pair)) {
            let measured = zip(jobs, parts).filter { $0.0.pair == pair && !$0.1.rowOffsetFromPair }.compactMap(\.1.rowOffset).sorted()
            if !measured.isEmpty { medians[pair] = measured[measured.count / 2] }
        }
        let redo = parts.indices.filter { parts[$0].rowOffset == nil && medians[jobs[$0].pair] != nil }
        let pairMedians = medians
        guard !redo.isEmpty else { return }
        let results = Mutex<[Int: TilePoints]>([:])
        let next = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: max(1, min(workers, redo.count))) { _ in
            let workspace = MatchingWorkspace()
            while true {
                let r = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard r < redo.count else { break }
                let k = redo[r], job = jobs[k]
                // A tile whose new points cannot be spilled keeps its first ones (as a failed redo does).
                if case .success(let points) = runJob(job, reference: reference, secondary: secondaries[job.pair], heights: job.heights,
                                                      configuration: c, workspace: workspace, store: store,
                                                      fallbackRowOffset: pairMedians[job.pair])
                    .flatMap({ points in Result { try spill.map { try $0.keep(points, job: k, pair: job.pair) } ?? points } }) {
                    results.withLock { $0[k] = points }
                }
            }
        }
        for (k, points) in results.withLock({ $0 }) { parts[k] = points }
    }

    /// The UTM grid over the ROI's footprint (at both ends of the height range), on grid lines
    /// that are multiples of the resolution (as s2p's plyflatten: grids of two runs align).
    static func grid(reference: StereoImage, geometry: StereoGeometry, resolution r: Double) throws -> DSMGrid {
        let roi = geometry.roi, heights = geometry.heights
        let low = try reference.footprint(of: roi, height: heights.lower).polygon.vertices
        let high = try reference.footprint(of: roi, height: heights.upper).polygon.vertices
        let corners = low + high
        let centre = geometry.roiFootprint.polygon.centroid
        let epsg = SpatialReference.utmEPSG(longitude: centre.x, latitude: centre.y)
        let outline = try PointCloud(x: corners.map(\.x), y: corners.map(\.y), z: corners.map { _ in 0 }, epsg: 4326)
            .reprojected(to: epsg, source: "the ROI footprint")
        guard let box = outline.bounds else { throw DSMPipelineError.noPoints(roi: roi) }
        let x0 = (box.minX / r).rounded(.down) * r, y0 = (box.maxY / r).rounded(.up) * r
        let x1 = (box.maxX / r).rounded(.up) * r, y1 = (box.minY / r).rounded(.down) * r
        return try DSMGrid(originX: x0, originY: y0, resolution: r,
                           width: max(1, Int(((x1 - x0) / r).rounded())), height: max(1, Int(((y0 - y1) / r).rounded())),
                           epsg: epsg)
    }

    /// The ROI cut into tiles of `size` (the last row and column smaller), row by row.
    public static func tiles(of roi: Window, size: Int) -> [Window] {
        var tiles: [Window] = []
        for y in stride(from: roi.y, to: roi.maxY, by: size) {
            for x in stride(from: roi.x, to: roi.maxX, by: size) {
                tiles.append(Window(x: x, y: y, width: min(size, roi.maxX - x), height: min(size, roi.maxY - y)))
            }
        }
        return tiles
    }
}
