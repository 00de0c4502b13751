/// Projection (ground -> image) and localisation (image -> ground) of single points.
/// Coordinates: degrees (WGS84), metres above the WGS84 ellipsoid, 0-based pixel centres.
extension RPCModel {
    /// Localisation stops when the re-projection error is below this (pixels). GDAL's RPC
    /// transformer uses 0.1 px; we are stricter.
    public static let localizationTolerance = 1e-4
    /// Newton iterations before `localizationDidNotConverge`.
    public static let maxLocalizationIterations = 20

    /// (lon, lat, h) -> (col, row) through the RPC00B model.
    @inline(__always)
    public func projection(longitude: Double, latitude: Double, height: Double) -> (column: Double, row: Double) {
        let p = projector(longitude, latitude, height)
        return (p.u, p.v)
    }

    /// (col, row, h) -> (lon, lat) through the file's direct model alone, without refinement
    /// (what rpcm's `localization` returns for DIMAP models); nil when the file has none.
    public func directLocalization(column: Double, row: Double, height: Double) -> (longitude: Double, latitude: Double)? {
        guard let direct else { return nil }
        let g = direct(column, row, height)
        return (g.u, g.v)
    }

    /// (col, row, h) -> (lon, lat): starts from the direct model (or from an approximate direct
    /// model fitted to the inverse one) and refines by Newton iterations on the RPC00B model until
    /// the re-projection error is below `tolerance` pixels. The result is thus consistent with
    /// `projection` whatever the quality of the file's direct model.
    ///
    /// - Throws: `RPCError.localizationDidNotConverge` after `maxLocalizationIterations`, or when
    ///   the Jacobian is singular or the iterate leaves finite values.
    /// - Complexity: usually 1-3 evaluations of the model with its Jacobian.
    public func localization(
        column: Double, row: Double, height: Double, tolerance: Double = RPCModel.localizationTolerance
    ) throws -> (longitude: Double, latitude: Double) {
        var lon: Double, lat: Double
        if let guess {
            (lon, lat) = guess(column, row, height)
            if !lon.isFinite || !lat.isFinite { (lon, lat) = (coefficients.longitudeOffset, coefficients.latitudeOffset) }
        } else {
            (lon, lat) = (coefficients.longitudeOffset, coefficients.latitudeOffset)
        }
        var error = Double.infinity
        for iteration in 0..<RPCModel.maxLocalizationIterations {
            let f = projector.valueAndJacobian(lon, lat, height)
            let dc = column - f.u, dr = row - f.v
            let newError = (dc * dc + dr * dr).squareRoot()
            if newError < tolerance { return (lon, lat) }
            // Solve [du/dlon du/dlat; dv/dlon dv/dlat] (dlon, dlat) = (dc, dr).
            let a = f.du.x, b = f.du.y, c = f.dv.x, d = f.dv.y
            let det = a * d - b * c
            guard det != 0, det.isFinite, newError.isFinite else {
                throw RPCError.localizationDidNotConverge(
                    iterations: iteration, column: column, row: row, height: height, residual: newError)
            }
            var step = 1.0
            // Damping: if the error grew a lot, the previous step overshot; shorten the next.
            if newError > 2 * error { step = 0.5 }
            error = newError
            lon += step * (d * dc - b * dr) / det
            lat += step * (a * dr - c * dc) / det
        }
        let f = projector(lon, lat, height)
        let residual = ((column - f.u) * (column - f.u) + (row - f.v) * (row - f.v)).squareRoot()
        if residual < tolerance { return (lon, lat) }
        throw RPCError.localizationDidNotConverge(
            iterations: RPCModel.maxLocalizationIterations, column: column, row: row, height: height, residual: residual)
    }
}
