import Dispatch
import Foundation
import Raster
import Synchronization

/// The points one reference tile gave.
struct TilePoints: Sendable {
    var longitudes: [Double] = []
    var latitudes: [Double] = []
    var heights: [Double] = []
    var matched = 0
    var rejectedResidual = 0
    var rejectedHeight = 0
    var rowOffset: Double?
    var retried = false
}

/// The end-to-end DSM of a stereo pair (`dsm-run dsm`), s2p's chain: pair geometry and height
/// range; per reference tile, epipolar rectification with the row-offset (pointing) correction,
/// dense matching over the tile's disparity range, triangulation of every valid disparity whose
/// reference pixel lies in the tile (points with a residual above `maxResidual` or a height
/// outside the range dropped); then the per-cell median on a UTM grid over the ROI's footprint,
/// small holes filled, written as a Float32 COG (atomically: nothing at the output on failure).
public enum DSMPipeline {
    /// Runs the pipeline. `progress` is called (from worker threads, serialised) after each tile.
    ///
    /// - Throws: `DSMPipelineError` (bad configuration, tiles failing twice, no point),
    ///   `GeometryError` (no overlap, ROI outside the image, DEM problems), `RPCError` (no RPC),
    ///   `RasterError`, `DSMError`.
    public static func run(
        configuration c: DSMConfiguration, progress: (@Sendable (DSMProgress) -> Void)? = nil
    ) throws -> DSMRunSummary {
        let start = Date()
        try c.validate()
        // Fail now, not after the matching, when the output cannot be written.
        let folder = (c.output as NSString).deletingLastPathComponent
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.isEmpty ? "." : folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw DSMPipelineError.invalidConfiguration("the output folder \(folder) does not exist")
        }
        let reference = try StereoImage.load(c.reference, model: c.referenceRPC)
        let secondary = try StereoImage.load(c.secondary, model: c.secondaryRPC)
        let geometry = try StereoGeometry.compute(reference: reference, secondaries: [secondary], heights: c.heights, roi: c.roi)
        let roi = geometry.pairs[0].roi
        let heights = geometry.heights
        let tiles = Self.tiles(of: roi, size: c.tileSize)

        // Tiles in parallel: workers pull tile indices; one matching workspace per worker.
        let workers = max(1, min(c.threads ?? ProcessInfo.processInfo.activeProcessorCount, tiles.count))
        let next = Atomic<Int>(0)
        let state = Mutex<(results: [TilePoints?], failures: [DSMPipelineError.TileFailure], done: Int)>(
            (Array(repeating: nil, count: tiles.count), [], 0))
        let total = tiles.count
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            let workspace = MatchingWorkspace()
            while true {
                let k = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard k < total else { break }
                var outcome: Result<TilePoints, Error>
                do {
                    outcome = .success(try processTile(tiles[k], reference: reference, secondary: secondary,
                                                       heights: heights.closedRange, configuration: c, workspace: workspace))
                } catch {
                    // One retry (a transient read error); a deterministic failure fails again.
                    do {
                        var points = try processTile(tiles[k], reference: reference, secondary: secondary,
                                                     heights: heights.closedRange, configuration: c, workspace: MatchingWorkspace())
                        points.retried = true
                        outcome = .success(points)
                    } catch {
                        outcome = .failure(error)
                    }
                }
                let done = state.withLock { s -> Int in
                    switch outcome {
                    case .success(let points): s.results[k] = points
                    case .failure(let error):
                        s.failures.append(.init(tile: tiles[k], message: String(describing: error)))
                    }
                    s.done += 1
                    return s.done
                }
                progress?(DSMProgress(tilesDone: done, tilesTotal: total, elapsed: Date().timeIntervalSince(start)))
            }
        }
        let (results, failures) = state.withLock { ($0.results, $0.failures) }
        guard failures.isEmpty else {
            throw DSMPipelineError.tilesFailed(failures.sorted { ($0.tile.y, $0.tile.x) < ($1.tile.y, $1.tile.x) })
        }
        let parts = results.map { $0! }

        var longitudes: [Double] = [], latitudes: [Double] = [], hs: [Double] = []
        let count = parts.reduce(0) { $0 + $1.heights.count }
        longitudes.reserveCapacity(count); latitudes.reserveCapacity(count); hs.reserveCapacity(count)
        for p in parts {
            longitudes += p.longitudes
            latitudes += p.latitudes
            hs += p.heights
        }
        guard count > 0 else { throw DSMPipelineError.noPoints(roi: roi) }

        // UTM grid over the ROI's footprint (at both ends of the height range), on grid lines
        // that are multiples of the resolution (as s2p's plyflatten: grids of two runs align).
        let low = try reference.footprint(of: roi, height: heights.lower).polygon.vertices
        let high = try reference.footprint(of: roi, height: heights.upper).polygon.vertices
        let corners = low + high
        let centre = geometry.roiFootprint.polygon.centroid
        let epsg = SpatialReference.utmEPSG(longitude: centre.x, latitude: centre.y)
        let outline = try PointCloud(x: corners.map(\.x), y: corners.map(\.y), z: corners.map { _ in 0 }, epsg: 4326)
            .reprojected(to: epsg, source: "the ROI footprint")
        guard let box = outline.bounds else { throw DSMPipelineError.noPoints(roi: roi) }
        let r = c.resolution
        let x0 = (box.minX / r).rounded(.down) * r, y0 = (box.maxY / r).rounded(.up) * r
        let x1 = (box.maxX / r).rounded(.up) * r, y1 = (box.minY / r).rounded(.down) * r
        let grid = try DSMGrid(originX: x0, originY: y0, resolution: r,
                               width: max(1, Int(((x1 - x0) / r).rounded())), height: max(1, Int(((y0 - y1) / r).rounded())),
                               epsg: epsg)
        let cloud = try PointCloud.projecting(longitudes: longitudes, latitudes: latitudes, heights: hs, epsg: epsg)
        let dsm = try writeDSM(cloud, grid: grid, to: c.output, parameters: c.rasterization, datum: c.datum)

        let offsets = parts.compactMap(\.rowOffset).sorted()
        return DSMRunSummary(
            output: c.output, roi: roi, heights: heights, tiles: tiles.count,
            retriedTiles: parts.filter(\.retried).count,
            tilesWithoutRowCorrection: c.correctRowOffset ? parts.count - offsets.count : parts.count,
            medianRowOffset: offsets.isEmpty ? nil : offsets[offsets.count / 2],
            roiPixels: roi.pixelCount, matchedPixels: parts.reduce(0) { $0 + $1.matched }, points: count,
            rejectedResidual: parts.reduce(0) { $0 + $1.rejectedResidual },
            rejectedHeight: parts.reduce(0) { $0 + $1.rejectedHeight },
            dsm: dsm, seconds: Date().timeIntervalSince(start))
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

    /// One tile: rectify (row-offset corrected), match, triangulate. A function of the tile only
    /// (images are opened by `resample`, per call).
    static func processTile(
        _ tile: Window, reference: StereoImage, secondary: StereoImage, heights: ClosedRange<Double>,
        configuration c: DSMConfiguration, workspace: MatchingWorkspace
    ) throws -> TilePoints {
        var out = TilePoints()
        var rect = try TileRectification.compute(reference: reference, secondary: secondary, tile: tile, heights: heights,
                                                 parameters: c.rectification)
        var pair = try rect.resample()
        // ±3 rows first (cheap; the usual Pléiades pointing error is below a pixel), then the
        // configured search when too few patches matched (patches at the search's edge are rejected).
        func rowOffset(_ rows: Int) -> RowOffsetEstimate? {
            estimateRowOffset(left: pair.left, right: pair.right, disparities: rect.disparities, searchRows: rows, step: c.rowOffsetStep)
        }
        if c.correctRowOffset,
           let o = rowOffset(min(3, c.rowOffsetSearch)) ?? (c.rowOffsetSearch > 3 ? rowOffset(c.rowOffsetSearch) : nil) {
            rect = rect.correctingRowOffset(o.offset)
            pair.right = try rect.resampleRight()  // the left map is unchanged
            out.rowOffset = o.offset
        }
        let result = try StereoMatcher.match(left: pair.left, right: pair.right, disparities: rect.disparities,
                                             parameters: c.matching, workspace: workspace)
        let lowest = heights.lowerBound - c.heightTolerance, highest = heights.upperBound + c.heightTolerance
        // The row correction moves the right points off the RPC epipolar geometry by the pointing
        // error, shared by the two rays: |offset| / 2 px each, on top of the matching error.
        let residualLimit = c.maxResidual + abs(out.rowOffset ?? 0) / 2
        let views = [reference.model, secondary.model]
        for j in 0..<rect.height {
            for i in 0..<rect.width {
                let d = result.disparity[i, j]
                guard !d.isNaN else { continue }
                let s = rect.sensorPoints(x: Double(i), y: Double(j), disparity: Double(d))
                // Each reference pixel belongs to one tile: no point twice, none lost at seams.
                guard tile.contains(x: Int(s.reference.x.rounded()), y: Int(s.reference.y.rounded())) else { continue }
                out.matched += 1
                guard let g = try? RPCModel.triangulate([
                    RPCObservation(model: views[0], column: s.reference.x, row: s.reference.y),
                    RPCObservation(model: views[1], column: s.secondary.x, row: s.secondary.y),
                ]), (g.residuals.max() ?? .infinity) <= residualLimit else {
                    out.rejectedResidual += 1
                    continue
                }
                guard g.height >= lowest, g.height <= highest else {
                    out.rejectedHeight += 1
                    continue
                }
                out.longitudes.append(g.longitude)
                out.latitudes.append(g.latitude)
                out.heights.append(g.height)
            }
        }
        return out
    }
}
