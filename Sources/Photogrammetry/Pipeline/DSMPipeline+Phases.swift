import Dispatch
import Foundation
import Raster
import Synchronization

/// The phases of `DSMPipeline.run`, shared with the fanned-out run (`DSMPipeline+FanOut.swift`):
/// prepare (geometry, grid, plan, tile jobs), match the tiles, then rasterise (`DSMOutputs.swift`).
extension DSMPipeline {
    /// What a run settles before matching: the images (the secondaries with their pointing
    /// corrections), the geometry (ROI, height range), the DSM grid, the memory plan, the tile
    /// jobs (pairs × reference tiles, in this order, each with its height range), and what the
    /// sparse analysis found.
    struct Preparation {
        let reference: StereoImage
        let secondaries: [StereoImage]
        let geometry: StereoGeometry
        let grid: DSMGrid
        let plan: MemoryPlan
        let jobs: [TileJob]
        let sparse: SparseAnalysis?
        let heights: HeightDecision
    }

    static func prepare(_ c: DSMConfiguration) throws -> Preparation {
        boundBlockCache(budget: c.memoryLimit)
        var reference = try StereoImage.load(c.reference, model: c.referenceRPC)
        var secondaries = try c.secondaryImages.map { try StereoImage.load($0.path, model: $0.rpc) }
        var geometry = try StereoGeometry.compute(reference: reference, secondaries: secondaries, heights: c.heights, roi: c.roi)
        var sparse: SparseAnalysis?
        let decision: HeightDecision
        if c.sparse.enabled {
            // A given prior is checked, not trusted: the sparse step searches it and the RPC's
            // whole validity range, so that a wrong prior shows.
            let validity = try HeightRange.validity(of: reference.model)
            let searched = min(validity.lower, geometry.heights.lower)...max(validity.upper, geometry.heights.upper)
            let s = try SparseAnalysis.run(reference: reference, secondaries: secondaries, pairROIs: geometry.pairs.map(\.roi),
                                           heights: searched, parameters: c.sparse)
            (reference, secondaries) = s.corrected(reference: reference, secondaries: secondaries)
            decision = try HeightDecision.decide(prior: c.heights, searched: geometry.heights, measured: s.heights, parameters: c.sparse)
            // The overlap again over the measured range, with the corrected models.
            geometry = try StereoGeometry.compute(reference: reference, secondaries: secondaries, heights: .range(decision.range), roi: c.roi)
            sparse = s
        } else {
            decision = HeightDecision.unmeasured(prior: c.heights, searched: geometry.heights)
        }
        // The DSM grid first: the points are projected onto it as their tiles finish.
        let grid = try Self.grid(reference: reference, geometry: geometry, resolution: c.resolution)
        let pairROIs = geometry.pairs.map(\.roi)
        try checkGridSize(grid, pixels: geometry.roi.pixelCount, resolution: c.resolution)
        let plan = try memoryPlan(c, reference: reference, secondaries: secondaries, pairROIs: pairROIs,
                                  heights: geometry.heights.closedRange, grid: grid)
        // Each pair has its own part of the reference (its ROI); the same tile grid for all.
        let jobs = tileJobs(pairROIs: pairROIs, tileSize: plan.tileSize, heights: decision.tile)
        return Preparation(reference: reference, secondaries: secondaries, geometry: geometry, grid: grid, plan: plan, jobs: jobs,
                           sparse: sparse, heights: decision)
    }

    /// Cells of the grid per reference pixel above which a resolution is refused (256: cells a
    /// sixteenth of the ground sample a side, or a grid stretched by a wide height range), unless
    /// the grid has at most `smallGridCells`: finer cells only add empty ones, at a cost in time,
    /// memory and disk that grows with their number.
    static let maxCellsPerPixel = 256
    static let smallGridCells = 4_000_000

    /// Refuses, before any work, a grid far finer than the images (`maxCellsPerPixel`), with the
    /// estimate and the finest sensible resolution.
    static func checkGridSize(_ grid: DSMGrid, pixels: Int, resolution: Double) throws {
        let cells = Double(grid.width) * Double(grid.height)
        guard cells > Double(smallGridCells), cells > Double(maxCellsPerPixel) * Double(max(1, pixels)) else { return }
        let finest = resolution * (cells / (Double(maxCellsPerPixel) * Double(max(1, pixels)))).squareRoot()
        throw DSMPipelineError.invalidConfiguration(String(
            format: "a resolution of %g m makes a %dx%d grid (%.3g cells, %.1f GB as Float32) for %d reference pixels: "
                + "far finer than the images' ground sample; use %.2g m or coarser",
            resolution, grid.width, grid.height, cells, cells * 4 / 1e9, pixels, finest))
    }

    /// Pair k's ROI cut into tiles of `tileSize`, pair after pair: the jobs' order, which is the
    /// order the points are fused in; each tile searches `heights(tile)`.
    static func tileJobs(pairROIs: [Window], tileSize: Int, heights: (Window) -> ClosedRange<Double>) -> [TileJob] {
        pairROIs.indices.flatMap { p in tiles(of: pairROIs[p], size: tileSize).map { TileJob(pair: p, tile: $0, heights: heights($0)) } }
    }

    /// The tile side and the tiles in flight that keep the peak memory under the limit.
    static func memoryPlan(_ c: DSMConfiguration, reference: StereoImage, secondaries: [StereoImage], pairROIs: [Window],
                           heights: ClosedRange<Double>, grid: DSMGrid) throws -> MemoryPlan {
        let roiPoints = pairROIs.reduce(0) { $0 + $1.pixelCount }
        return try MemoryPlan.choose(
            limit: c.memoryLimit, tileSize: c.tileSize, threads: c.threads ?? ProcessInfo.processInfo.activeProcessorCount,
            points: c.spillsPoints ? 0 : roiPoints,
            rasterizationBytes: c.spillsPoints ? MemoryPlan.rasterizationBytes(grid: grid, points: roiPoints, parameters: c.rasterization) : 0,
            cacheBytes: GDALBlockCache.bytes
        ) { side in
            try MemoryPlan.tileBytes(side: side, reference: reference, secondaries: secondaries, pairROIs: pairROIs,
                                     heights: heights, parameters: c.rectification)
                + (c.spillsPoints ? MemoryPlan.spilledTilePointBytes * side * side : 0)
        }
    }

    /// Matches and triangulates `jobs`, `workers` tiles at once (workers pull job indices; one
    /// matching workspace each), spilling each tile's points when `spill` is given (chunk k is
    /// job k), then redoes the tiles without a row offset with their pair's median
    /// (`redoWithPairRowOffset`) unless `redo` is false. Returns each job's points (statistics
    /// only when spilled).
    /// - Throws: `DSMPipelineError.cancelled` when `isCancelled` answered true, `.tilesFailed`.
    static func matchTiles(
        _ jobs: [TileJob], workers: Int, reference: StereoImage, secondaries: [StereoImage],
        configuration c: DSMConfiguration, store: TileStore?, spill: PointSpill?, start: Date, redo: Bool = true,
        progress: (@Sendable (DSMProgress) -> Void)?, isCancelled: (@Sendable () -> Bool)?
    ) throws -> [TilePoints] {
        let next = Atomic<Int>(0)
        let stop = Atomic<Bool>(false)
        let state = Mutex<(results: [TilePoints?], failures: [DSMPipelineError.TileFailure], done: Int)>(
            (Array(repeating: nil, count: jobs.count), [], 0))
        let total = jobs.count
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            let workspace = MatchingWorkspace()
            while true {
                if stop.load(ordering: .relaxed) { break }
                if let isCancelled, isCancelled() {
                    stop.store(true, ordering: .relaxed)
                    break
                }
                let k = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard k < total else { break }
                let job = jobs[k], secondary = secondaries[job.pair]
                let outcome = runJob(job, reference: reference, secondary: secondary, heights: job.heights,
                                     configuration: c, workspace: workspace, store: store)
                    .flatMap { points in Result { try spill.map { try $0.keep(points, job: k, pair: job.pair) } ?? points } }
                let done = state.withLock { s -> Int in
                    switch outcome {
                    case .success(let points): s.results[k] = points
                    case .failure(let error):
                        let name = c.secondaryImages.count > 1 ? " with \(secondary.path)" : ""
                        s.failures.append(.init(tile: job.tile, message: String(describing: error) + name))
                    }
                    s.done += 1
                    return s.done
                }
                progress?(DSMProgress(tilesDone: done, tilesTotal: total, elapsed: Date().timeIntervalSince(start)))
            }
        }
        let (results, failures, done) = state.withLock { ($0.results, $0.failures, $0.done) }
        if stop.load(ordering: .relaxed) { throw DSMPipelineError.cancelled(tilesDone: done, tilesTotal: total) }
        guard failures.isEmpty else {
            throw DSMPipelineError.tilesFailed(failures.sorted { ($0.tile.y, $0.tile.x) < ($1.tile.y, $1.tile.x) })
        }
        var parts = results.map { $0! }
        // Tiles whose own row offset could not be measured: again, with their pair's median.
        if c.correctRowOffset && redo {
            redoWithPairRowOffset(&parts, jobs: jobs, workers: workers, reference: reference, secondaries: secondaries,
                                  configuration: c, store: store, spill: spill)
        }
        return parts
    }
}
