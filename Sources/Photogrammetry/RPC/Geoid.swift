import Raster

/// A global geoid undulation grid N(lon, lat) (e.g. EGM96 15' `egm96_15.gtx`), read once through
/// GDAL and interpolated bilinearly like PROJ's `+geoidgrids`. Converts heights:
///
///     h_ellipsoid = H_geoid + N
///
/// RPC heights are above the WGS84 ellipsoid; CARS DSMs are above EGM96 by default.
public struct Geoid: Sendable {
    public let source: String
    let values: [Float]
    let width: Int, height: Int
    /// Longitude and latitude of grid node (0, 0) (a pixel centre) and the node spacing.
    let lon0: Double, lat0: Double, dlon: Double, dlat: Double
    let nodata: Double?
    /// True when the grid spans 360 degrees of longitude (indices then wrap).
    let wrapsLongitude: Bool

    /// Reads a geoid grid GDAL opens (GTX, GeoTIFF, ...) in geographic coordinates.
    public init(path: String) throws {
        let dataset = try Dataset(path: path)
        guard let gt = dataset.geoTransform?.array, gt[2] == 0, gt[4] == 0 else {
            throw RPCError.unsupportedFormat(source: path, reason: "a geoid grid needs a north-up geotransform")
        }
        source = path
        width = dataset.width
        height = dataset.height
        values = try dataset.readAll(Float.self).packedBand(0)
        dlon = gt[1]
        dlat = gt[5]
        lon0 = gt[0] + dlon / 2
        lat0 = gt[3] + dlat / 2
        nodata = try dataset.nodata()
        wrapsLongitude = abs(Double(width) * dlon - 360) < 1e-9
    }

    /// The undulation N in metres at (lon, lat) in degrees.
    /// - Throws: `RPCError.geoidUndefined` outside the grid or next to a no-data node.
    public func undulation(longitude: Double, latitude: Double) throws -> Double {
        var x = (longitude - lon0) / dlon
        let y = (latitude - lat0) / dlat
        if wrapsLongitude {
            x = x.truncatingRemainder(dividingBy: Double(width))
            if x < 0 { x += Double(width) }
        }
        let undefined = RPCError.geoidUndefined(longitude: longitude, latitude: latitude, source: source)
        guard x.isFinite, y.isFinite, y >= 0, y <= Double(height - 1) else { throw undefined }
        if !wrapsLongitude, x < 0 || x > Double(width - 1) { throw undefined }
        let i0 = min(Int(x), width - 1), j0 = min(Int(y), height - 1)
        let i1 = wrapsLongitude ? (i0 + 1) % width : min(i0 + 1, width - 1)
        let j1 = min(j0 + 1, height - 1)
        let fx = x - Double(i0), fy = y - Double(j0)
        let v00 = Double(values[j0 * width + i0]), v10 = Double(values[j0 * width + i1])
        let v01 = Double(values[j1 * width + i0]), v11 = Double(values[j1 * width + i1])
        if let nodata {
            for v in [v00, v10, v01, v11] where abs(v - nodata) < 1e-3 { throw undefined }
        }
        let top = v00 + (v10 - v00) * fx, bottom = v01 + (v11 - v01) * fx
        return top + (bottom - top) * fy
    }

    /// Ellipsoidal height (RPC, s2p) -> height above the geoid (CARS default): H = h - N.
    public func geoidHeight(ellipsoidHeight h: Double, longitude: Double, latitude: Double) throws -> Double {
        h - (try undulation(longitude: longitude, latitude: latitude))
    }

    /// Height above the geoid -> ellipsoidal height: h = H + N.
    public func ellipsoidHeight(geoidHeight h: Double, longitude: Double, latitude: Double) throws -> Double {
        h + (try undulation(longitude: longitude, latitude: latitude))
    }

    /// Converts many ellipsoidal heights to geoid heights (same order as the arrays); NaN
    /// heights stay NaN, points outside the grid throw.
    public func geoidHeights(ellipsoidHeights h: [Double], longitudes: [Double], latitudes: [Double]) throws -> [Double] {
        precondition(h.count == longitudes.count && h.count == latitudes.count, "arrays of one length")
        return try h.indices.map { try h[$0] - undulation(longitude: longitudes[$0], latitude: latitudes[$0]) }
    }

    /// Converts many geoid heights to ellipsoidal heights.
    public func ellipsoidHeights(geoidHeights h: [Double], longitudes: [Double], latitudes: [Double]) throws -> [Double] {
        precondition(h.count == longitudes.count && h.count == latitudes.count, "arrays of one length")
        return try h.indices.map { try h[$0] + undulation(longitude: longitudes[$0], latitude: latitudes[$0]) }
    }
}
