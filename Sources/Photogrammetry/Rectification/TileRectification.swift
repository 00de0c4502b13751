import Raster

/// The epipolar rectification of one reference tile against one secondary image, the s2p way:
/// affine maps from the RPCs, so that a ground point seen at (x1, y1) and (x2, y2) lands on the
/// same row of both rectified tiles, at columns x_left and x_right = x_left - d (the matcher's
/// convention). `left` and `right` map sensor coordinates (RPC convention: 0-based pixel centres)
/// to rectified pixel coordinates (0-based pixel centres of the rectified buffers).
public struct TileRectification: Sendable {
    /// The reference tile (reference image pixels).
    public let tile: Window
    /// The ellipsoidal heights used for the fit and the disparity range.
    public let heights: ClosedRange<Double>
    public let reference: StereoImage
    public let secondary: StereoImage
    public let fundamental: AffineFundamentalMatrix
    /// Reference sensor -> rectified left.
    public let left: AffineMap2D
    /// Secondary sensor -> rectified right.
    public let right: AffineMap2D
    /// Rectified left -> reference sensor, and rectified right -> secondary sensor.
    public let leftInverse: AffineMap2D
    public let rightInverse: AffineMap2D
    /// Size of both rectified tiles (tile + margins).
    public let width: Int
    public let height: Int
    /// Columns and rows of margin around the tile in the rectified frame.
    public let horizontalMargin: Int
    public let verticalMargin: Int
    /// Disparities d = x_left - x_right to search, from the height range with a safety margin.
    public let disparities: ClosedRange<Int>
    /// Disparities of virtual correspondences over the tile at the bounds of the height range,
    /// before the safety margin.
    public let heightDisparities: ClosedRange<Double>
    /// Largest |y_left - y_right| of the correspondences used for the fit (pixels).
    public let fitRowResidual: Double

    /// Computes the rectification of `tile` of the reference image.
    ///
    /// Steps (s2p `rectification.rectify_pair` with `method='rpc'`): virtual correspondences over
    /// the tile at `gridPointsPerAxis` heights over `heights`; the affine fundamental matrix;
    /// rectifying similarities, moved so that the tile's bounding box starts at the origin;
    /// horizontal registration of the right map on virtual correspondences at the middle height
    /// (a shear, or a translation); the disparity range of virtual correspondences at the lower and
    /// upper heights (grid with the tile corners), widened by the safety margin; margins
    /// max(horizontalMargin, |d|) and verticalMargin around the tile.
    ///
    /// - Throws: `RectificationError.tileOutsideImage` when the tile is empty or not inside the
    ///   reference image, `.invalidParameter`, `.degenerateCorrespondences` (e.g. a height range
    ///   of zero span: no parallax to fit F), `.rectifiedTileTooLarge`, or `RPCError` from
    ///   localisation.
    /// - Complexity: O(gridPointsPerAxis³) RPC localisations.
    public static func compute(
        reference: StereoImage, secondary: StereoImage, tile: Window, heights: ClosedRange<Double>,
        parameters: RectificationParameters = RectificationParameters()
    ) throws -> TileRectification {
        guard !tile.isEmpty, tile.x >= 0, tile.y >= 0, tile.maxX <= reference.width, tile.maxY <= reference.height else {
            throw RectificationError.tileOutsideImage(tile: tile, image: reference.path, width: reference.width, height: reference.height)
        }
        guard parameters.gridPointsPerAxis >= 2 else {
            throw RectificationError.invalidParameter(
                name: "gridPointsPerAxis", value: Double(parameters.gridPointsPerAxis), reason: "at least 2 points per axis")
        }
        guard parameters.horizontalMargin >= 0, parameters.verticalMargin >= 0 else {
            throw RectificationError.invalidParameter(
                name: "margins", value: Double(min(parameters.horizontalMargin, parameters.verticalMargin)), reason: "must be >= 0")
        }
        guard parameters.disparityMarginFraction >= 0, parameters.minimumDisparityMargin >= 0 else {
            throw RectificationError.invalidParameter(
                name: "disparityMarginFraction", value: parameters.disparityMarginFraction, reason: "margins must be >= 0")
        }
        guard heights.lowerBound.isFinite, heights.upperBound.isFinite else {
            throw RectificationError.invalidParameter(name: "heights", value: heights.lowerBound, reason: "heights must be finite")
        }
        let rpc1 = reference.model, rpc2 = secondary.model
        let matches = try PointCorrespondence.virtual(
            reference: rpc1, secondary: rpc2, tile: tile, heights: heights, count: parameters.gridPointsPerAxis)
        let f = try AffineFundamentalMatrix.estimate(from: matches)
        let similarities = RectifyingSimilarities(f).movedToOrigin(of: tile)
        var left = similarities.left, right = similarities.right

        // Horizontal registration at the middle height.
        let middle = (heights.lowerBound + heights.upperBound) / 2
        let flat = try PointCorrespondence.virtual(
            reference: rpc1, secondary: rpc2, tile: tile, heights: middle...middle, count: parameters.gridPointsPerAxis)
        let registration = parameters.registerWithShear
            ? try HorizontalRegistration.shear(matches: flat, left: left, right: right)
            : try HorizontalRegistration.translation(matches: flat, left: left, right: right)
        right = right.followed(by: registration)

        // Disparity range over the tile (corners included) at the bounds of the height range.
        var dMin = Double.infinity, dMax = -Double.infinity
        let samples = 5
        for h in [heights.lowerBound, heights.upperBound] {
            for j in 0...samples {
                for i in 0...samples {
                    let col = Double(tile.x) + Double(tile.width) * Double(i) / Double(samples)
                    let row = Double(tile.y) + Double(tile.height) * Double(j) / Double(samples)
                    let m = try PointCorrespondence.at(reference: rpc1, secondary: rpc2, column: col, row: row, height: h)
                    let d = left.apply(x: m.x1, y: m.y1).x - right.apply(x: m.x2, y: m.y2).x
                    dMin = min(dMin, d)
                    dMax = max(dMax, d)
                }
            }
        }
        let margin = max(Double(parameters.minimumDisparityMargin), parameters.disparityMarginFraction * (dMax - dMin))
        let disparities = Int((dMin - margin).rounded(.down))...Int((dMax + margin).rounded(.up))

        // Margins and size (s2p: hmargin = ceil(max(hmargin, |dmin|, |dmax|))).
        let hMargin = max(parameters.horizontalMargin, abs(disparities.lowerBound), abs(disparities.upperBound))
        let vMargin = parameters.verticalMargin
        let shift = AffineMap2D.translation(x: Double(hMargin), y: Double(vMargin))
        left = left.followed(by: shift)
        right = right.followed(by: shift)
        let box = boundingBox(of: tile, under: left)
        let width = Int((box.maxX - box.minX).rounded(.up)) + 2 * hMargin
        let height = Int((box.maxY - box.minY).rounded(.up)) + 2 * vMargin
        guard width <= parameters.maximumRectifiedSide, height <= parameters.maximumRectifiedSide else {
            throw RectificationError.rectifiedTileTooLarge(width: width, height: height, limit: parameters.maximumRectifiedSide)
        }
        guard let leftInverse = left.inverse, let rightInverse = right.inverse else {
            throw RectificationError.degenerateCorrespondences(count: matches.count, reason: "singular rectifying map")
        }
        var residual = 0.0
        for m in matches {
            residual = max(residual, abs(left.apply(x: m.x1, y: m.y1).y - right.apply(x: m.x2, y: m.y2).y))
        }
        return TileRectification(
            tile: tile, heights: heights, reference: reference, secondary: secondary, fundamental: f,
            left: left, right: right, leftInverse: leftInverse, rightInverse: rightInverse,
            width: width, height: height, horizontalMargin: hMargin, verticalMargin: vMargin,
            disparities: disparities, heightDisparities: dMin...dMax, fitRowResidual: residual)
    }
}

extension TileRectification {
    /// `compute` with a `HeightRange` (e.g. `StereoGeometry.heights`).
    public static func compute(
        reference: StereoImage, secondary: StereoImage, tile: Window, heights: HeightRange,
        parameters: RectificationParameters = RectificationParameters()
    ) throws -> TileRectification {
        try compute(reference: reference, secondary: secondary, tile: tile, heights: heights.closedRange, parameters: parameters)
    }
}
