import Raster

/// The points one reference tile gave with one secondary image (longitude, latitude, ellipsoidal
/// height, and the matcher's confidence of the disparity that made each point).
struct TilePoints: Sendable, Equatable {
    var longitudes: [Double] = []
    var latitudes: [Double] = []
    var heights: [Double] = []
    /// `StereoMatchResult.confidence` at the point's left pixel, in [0, 1].
    var confidences: [Float] = []
    var matched = 0
    var rejectedResidual = 0
    var rejectedHeight = 0
    var rowOffset: Double?
    /// `rowOffset` is the median of the pair's other tiles (this tile's own estimate failed).
    var rowOffsetFromPair = false
    var retried = false
    /// Read back from `--keep-tiles` instead of computed.
    var reused = false

    /// The point count once the points were moved to disk (`PointSpill`) and the arrays emptied.
    var spilledCount: Int?

    var count: Int { spilledCount ?? heights.count }

    /// This tile's statistics without its points (they are on disk now, `count` of them).
    func withoutPoints() -> TilePoints {
        var copy = TilePoints(matched: matched, rejectedResidual: rejectedResidual, rejectedHeight: rejectedHeight,
                              rowOffset: rowOffset, rowOffsetFromPair: rowOffsetFromPair, retried: retried, reused: reused)
        copy.spilledCount = count
        return copy
    }
}

/// One unit of work: a reference tile matched with one secondary image.
struct TileJob: Sendable {
    /// Index of the secondary in `DSMConfiguration.secondaryImages` (0 for the first).
    var pair: Int
    var tile: Window
    /// The ellipsoidal heights this tile searches.
    var heights: ClosedRange<Double>
}

extension DSMPipeline {
    /// One job: read back from `store` when it holds the tile, else computed, retried once on
    /// failure (a transient read error; a deterministic failure fails again), and stored.
    static func runJob(
        _ job: TileJob, reference: StereoImage, secondary: StereoImage, heights: ClosedRange<Double>,
        configuration c: DSMConfiguration, workspace: MatchingWorkspace, store: TileStore?, fallbackRowOffset: Double? = nil
    ) -> Result<TilePoints, Error> {
        if fallbackRowOffset == nil, let stored = store?.load(job) { return .success(stored) }
        var outcome: Result<TilePoints, Error>
        do {
            outcome = .success(try processTile(job.tile, reference: reference, secondary: secondary, heights: heights,
                                               configuration: c, workspace: workspace, fallbackRowOffset: fallbackRowOffset))
        } catch {
            do {
                var points = try processTile(job.tile, reference: reference, secondary: secondary, heights: heights,
                                             configuration: c, workspace: MatchingWorkspace(), fallbackRowOffset: fallbackRowOffset)
                points.retried = true
                outcome = .success(points)
            } catch {
                outcome = .failure(error)
            }
        }
        if let store, case .success(let points) = outcome {
            do { try store.save(points, for: job) } catch { return .failure(error) }
        }
        return outcome
    }

    /// One tile: rectify (row-offset corrected), match, triangulate. A function of the tile only
    /// (images are opened by `resample`, per call). When the tile's own row offset cannot be
    /// measured (too few textured patches), `fallbackRowOffset` (the pair's median) is applied.
    static func processTile(
        _ tile: Window, reference: StereoImage, secondary: StereoImage, heights: ClosedRange<Double>,
        configuration c: DSMConfiguration, workspace: MatchingWorkspace, fallbackRowOffset: Double? = nil
    ) throws -> TilePoints {
        var out = TilePoints()
        var rect = try TileRectification.compute(reference: reference, secondary: secondary, tile: tile, heights: heights,
                                                 parameters: c.rectification)
        var pair = try rect.resample()
        // ±3 rows first (cheap; the usual Pléiades pointing error is below a pixel), ±1 when the
        // sparse analysis has corrected the pointing already (what is left is a residual of a
        // tenth of a pixel; ±1 costs 3/7 of ±3), then the configured search when too few patches
        // matched (patches at the search's edge are rejected).
        func rowOffset(_ rows: Int) -> RowOffsetEstimate? {
            estimateRowOffset(left: pair.left, right: pair.right, disparities: rect.disparities, searchRows: rows, step: c.rowOffsetStep)
        }
        if c.correctRowOffset {
            let first = min(c.sparse.enabled ? 1 : 3, c.rowOffsetSearch)
            let measured = rowOffset(first) ?? (c.rowOffsetSearch > first ? rowOffset(c.rowOffsetSearch) : nil)
            if let offset = measured?.offset ?? fallbackRowOffset {
                rect = rect.correctingRowOffset(offset)
                pair.right = try rect.resampleRight()  // the left map is unchanged
                out.rowOffset = offset
                out.rowOffsetFromPair = measured == nil
            }
        }
        let result = try StereoMatcher.match(left: pair.left, right: pair.right, disparities: rect.disparities,
                                             parameters: c.matching, workspace: workspace)
        let lowest = heights.lowerBound - c.heightTolerance, highest = heights.upperBound + c.heightTolerance
        // The row correction moves the right points off the RPC epipolar geometry by the pointing
        // error, shared by the two rays: |offset| / 2 px each, on top of the matching error.
        let residualLimit = c.maxResidual + abs(out.rowOffset ?? 0) / 2
        // The matches' ground points: through the checked lattice approximation, or exactly.
        let lattice = c.triangulationTolerance.map { TriangulationLattice(rectification: rect, tolerance: $0) }
        var views = [RPCObservation(model: reference.model, column: 0, row: 0),
                     RPCObservation(model: secondary.model, column: 0, row: 0)]
        for j in 0..<rect.height {
            for i in 0..<rect.width {
                let d = result.disparity[i, j]
                guard !d.isNaN else { continue }
                let s = rect.sensorPoints(x: Double(i), y: Double(j), disparity: Double(d))
                // Each reference pixel belongs to one tile: no point twice, none lost at seams.
                guard tile.contains(x: Int(s.reference.x.rounded()), y: Int(s.reference.y.rounded())) else { continue }
                out.matched += 1
                let g: TriangulationLattice.Point?
                if let lattice {
                    g = lattice.point(x: Double(i), y: Double(j), disparity: Double(d))
                } else {
                    (views[0].column, views[0].row) = (s.reference.x, s.reference.y)
                    (views[1].column, views[1].row) = (s.secondary.x, s.secondary.y)
                    g = (try? RPCModel.triangulate(views)).map {
                        .init(longitude: $0.longitude, latitude: $0.latitude, height: $0.height, residual: $0.residuals.max() ?? .infinity)
                    }
                }
                guard let g, g.residual <= residualLimit else {
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
                let confidence = result.confidence[i, j]
                out.confidences.append(confidence.isNaN ? 0 : confidence)
            }
        }
        return out
    }
}
