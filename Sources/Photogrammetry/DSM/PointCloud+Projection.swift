import Raster

extension PointCloud {
    /// The cloud with x, y transformed to `epsg` (heights kept as they are). Points with a
    /// non-finite x or y stay NaN (the rasterisation skips them).
    ///
    /// - Throws: `DSMError.missingCRS` when the cloud has no EPSG code, `RasterError` when a CRS
    ///   is unknown or a point cannot be transformed.
    /// - Complexity: O(count).
    public func reprojected(to epsg: Int, source: String = "the point cloud") throws -> PointCloud {
        guard let from = self.epsg else { throw DSMError.missingCRS(source: source) }
        if from == epsg { return self }
        let transform = try CoordinateTransformation(from: try SpatialReference(epsg: from), to: try SpatialReference(epsg: epsg))
        // GDAL rejects a whole batch with one bad point: move non-finite ones to a finite place.
        let finite = x.indices.map { x[$0].isFinite && y[$0].isFinite }
        let anchor = x.indices.first { finite[$0] }.map { (x[$0], y[$0]) } ?? (0, 0)
        var xs = x.indices.map { finite[$0] ? x[$0] : anchor.0 }
        var ys = y.indices.map { finite[$0] ? y[$0] : anchor.1 }
        var zs = [Double](repeating: 0, count: xs.count)
        if !xs.isEmpty { try transform.transform(x: &xs, y: &ys, z: &zs) }
        for i in xs.indices where !finite[i] { xs[i] = .nan; ys[i] = .nan }
        return PointCloud(x: xs, y: ys, z: z, epsg: epsg, attributes: attributes)
    }

    /// The cloud in the CRS of a DSM grid: `epsg` when given; otherwise the cloud's own CRS
    /// when it is projected, or, for a geographic CRS (longitude/latitude, e.g. 4326), the WGS84
    /// UTM zone holding the centre of its bounds (`SpatialReference.utmEPSG`).
    ///
    /// - Throws: `DSMError.missingCRS` when the cloud has no EPSG code, `DSMError.emptyCloud`
    ///   for a geographic cloud with no finite point, `RasterError` from the transformation.
    public func inGridCRS(epsg: Int? = nil, source: String = "the point cloud") throws -> PointCloud {
        guard let own = self.epsg else { throw DSMError.missingCRS(source: source) }
        if let epsg { return try reprojected(to: epsg, source: source) }
        guard try SpatialReference(epsg: own).isGeographic else { return self }
        guard let box = bounds else { throw DSMError.emptyCloud(source: source) }
        let zone = SpatialReference.utmEPSG(longitude: (box.minX + box.maxX) / 2, latitude: (box.minY + box.maxY) / 2)
        return try reprojected(to: zone, source: source)
    }

    /// WGS84 longitudes, latitudes (degrees) and heights projected to `epsg`, by default the
    /// UTM zone of their centre (see `inGridCRS`). Heights are kept as they are.
    public static func projecting(
        longitudes: [Double], latitudes: [Double], heights: [Double], epsg: Int? = nil
    ) throws -> PointCloud {
        precondition(longitudes.count == latitudes.count && latitudes.count == heights.count, "arrays of one length")
        let geographic = PointCloud(x: longitudes, y: latitudes, z: heights, epsg: 4326)
        return try geographic.inGridCRS(epsg: epsg, source: "the longitude/latitude points")
    }
}
