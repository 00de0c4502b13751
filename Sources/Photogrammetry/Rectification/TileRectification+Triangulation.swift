extension TileRectification {
    /// The sensor points of a rectified match: left pixel (x, y) and right pixel (x - d, y)
    /// (d = x_left - x_right), mapped back to the reference and secondary images (RPC
    /// coordinates, 0-based pixel centres).
    @inlinable
    public func sensorPoints(x: Double, y: Double, disparity d: Double)
        -> (reference: (x: Double, y: Double), secondary: (x: Double, y: Double)) {
        (leftInverse.apply(x: x, y: y), rightInverse.apply(x: x - d, y: y))
    }

    /// The ground point of a rectified match (x, y, d), triangulated with both RPC models
    /// (`RPCModel.triangulate`: least squares in pixels). Its residuals measure how far the match
    /// is from the exact epipolar geometry (the affine approximation plus the matching error).
    public func triangulate(x: Double, y: Double, disparity d: Double) throws -> RPCTriangulation {
        let p = sensorPoints(x: x, y: y, disparity: d)
        return try RPCModel.triangulate([
            RPCObservation(model: reference.model, column: p.reference.x, row: p.reference.y),
            RPCObservation(model: secondary.model, column: p.secondary.x, row: p.secondary.y),
        ])
    }

    /// The rectified coordinates of a ground point: left (x, y), right row, and d = x_left - x_right.
    public func rectified(longitude: Double, latitude: Double, height h: Double)
        -> (x: Double, y: Double, rightY: Double, disparity: Double) {
        let p1 = reference.model.projection(longitude: longitude, latitude: latitude, height: h)
        let p2 = secondary.model.projection(longitude: longitude, latitude: latitude, height: h)
        let l = left.apply(x: p1.column, y: p1.row), r = right.apply(x: p2.column, y: p2.row)
        return (l.x, l.y, r.y, l.x - r.x)
    }
}
