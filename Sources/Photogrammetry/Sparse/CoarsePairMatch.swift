import Raster

/// One pair matched densely at a coarse level over a wide height range: the first step of the
/// sparse analysis. The reference ROI is rectified as one tile at `1 / factor` resolution (the
/// RPCs rescaled, the images averaged down), its residual row offset measured over a search wide
/// enough for the largest pointing error accepted, then matched by the dense matcher. The map
/// predicts where a full-resolution reference point lies in the secondary image (to within a
/// few coarse pixels), and gives the heights of the scene at coarse precision.
struct CoarsePairMatch: Sendable {
    let rectification: TileRectification
    let disparity: ImageBuffer<Float>
    let confidence: ImageBuffer<Float>
    let factor: Int
    /// The coarse row offset applied to the rectification (coarse pixels), nil when none could
    /// be measured.
    let rowOffset: Double?
    /// Nodata share of the images' coarse views (the parts of the images the pair reads).
    let secondaryNodataShare: Double
    let referenceNodataShare: Double

    /// The factor for a ROI: the smallest power of two that brings it to at most `maxPixels`
    /// coarse pixels, at least `minimum`.
    static func factor(for roi: Window, maxPixels: Int, minimum: Int) -> Int {
        var f = max(1, minimum)
        while (roi.width / f) * (roi.height / f) > maxPixels { f *= 2 }
        return f
    }

    /// Matches `roi` of the reference with the secondary at a coarse level over `heights`.
    /// The factor starts from `factor(for:)` and doubles while the coarse search (rectified
    /// pixels x disparities) exceeds `parameters.maxCoarseCells` and the coarse ROI keeps
    /// `parameters.minimumCoarseSide`.
    /// - Throws: `RectificationError`, `RasterError`, `MatchingError`, `RPCError`.
    static func match(
        reference: StereoImage, secondary: StereoImage, roi: Window, heights: ClosedRange<Double>,
        parameters p: SparseParameters
    ) throws -> CoarsePairMatch {
        var f = factor(for: roi, maxPixels: p.maxCoarsePixels, minimum: p.minimumFactor)
        var rect: TileRectification
        while true {
            let coarseROI = coarseWindow(roi, factor: f, in: reference)
            rect = try TileRectification.compute(
                reference: CoarseView.downsampled(reference, factor: f), secondary: CoarseView.downsampled(secondary, factor: f),
                tile: coarseROI, heights: heights, parameters: p.rectification)
            let side = min(roi.width, roi.height) / (2 * f)
            if rect.width * rect.height * rect.disparities.count <= p.maxCoarseCells || side < p.minimumCoarseSide { break }
            f *= 2
        }
        // Rows searched for the pointing error: the largest accepted, at this level, and some.
        let searchRows = max(2, Int((p.maxPointingError / Double(f)).rounded(.up)) + 1)
        let leftWindow = sensorWindow(for: rect.leftInverse, width: rect.width, height: rect.height).expanded(by: 2)
        let rightWindow = sensorWindow(for: rect.rightInverse, width: rect.width, height: rect.height).expanded(by: searchRows + 2)
        let referenceView = try CoarseView.read(reference, coarseWindow: leftWindow, factor: f)
        let secondaryView = try CoarseView.read(secondary, coarseWindow: rightWindow, factor: f)
        let left = resampleBicubic(referenceView.pixels, origin: referenceView.origin, map: rect.leftInverse,
                                   width: rect.width, height: rect.height)
        var right = resampleBicubic(secondaryView.pixels, origin: secondaryView.origin, map: rect.rightInverse,
                                    width: rect.width, height: rect.height)
        // Patches on a grid of about `rowOffsetPatches` over the tile.
        let area = Double(rect.width * rect.height)
        let step = max(8, Int((area / Double(p.rowOffsetPatches)).squareRoot()))
        let offset = estimateRowOffset(left: left, right: right, disparities: rect.disparities, searchRows: searchRows,
                                       step: step, minimumCorrelation: 0.8)
        if let offset {
            rect = rect.correctingRowOffset(offset.offset)
            right = resampleBicubic(secondaryView.pixels, origin: secondaryView.origin, map: rect.rightInverse,
                                    width: rect.width, height: rect.height)
        }
        var matching = p.matching
        matching.memoryLimit = p.memoryLimit
        let result = try StereoMatcher.matchTiled(left: left, right: right, disparities: rect.disparities, parameters: matching)
        return CoarsePairMatch(rectification: rect, disparity: result.disparity, confidence: result.confidence, factor: f,
                               rowOffset: offset?.offset, secondaryNodataShare: secondaryView.nodataShare,
                               referenceNodataShare: referenceView.nodataShare)
    }

    /// `roi` in coarse pixels (cells it touches), inside the coarse image.
    static func coarseWindow(_ roi: Window, factor f: Int, in image: StereoImage) -> Window {
        let x0 = roi.x / f, y0 = roi.y / f
        let x1 = min(image.width / f, max(x0 + 1, (roi.maxX + f - 1) / f))
        let y1 = min(image.height / f, max(y0 + 1, (roi.maxY + f - 1) / f))
        return Window(x: x0, y: y0, width: max(1, x1 - x0), height: max(1, y1 - y0))
    }

    /// The secondary point (full resolution) predicted for a full-resolution reference point,
    /// with the disparity's confidence; nil where the coarse map has no disparity within one
    /// coarse pixel.
    func predict(_ reference: SIMD2<Double>) -> (secondary: SIMD2<Double>, confidence: Float)? {
        let c = CoarseView.coarse(reference, factor: factor)
        let l = rectification.left.apply(x: c.x, y: c.y)
        let x = Int(l.x.rounded()), y = Int(l.y.rounded())
        var best: (d: Float, c: Float, distance: Int)?
        for dy in -1...1 {
            for dx in -1...1 {
                let i = x + dx, j = y + dy
                guard i >= 0, j >= 0, i < disparity.width, j < disparity.height else { continue }
                let d = disparity[i, j]
                guard !d.isNaN else { continue }
                let distance = abs(dx) + abs(dy)
                if best == nil || distance < best!.distance { best = (d, confidence[i, j], distance) }
            }
        }
        guard let best else { return nil }
        let s = rectification.rightInverse.apply(x: l.x - Double(best.d), y: l.y)
        return (CoarseView.full((s.x, s.y), factor: factor), best.c.isNaN ? 0 : best.c)
    }
}
