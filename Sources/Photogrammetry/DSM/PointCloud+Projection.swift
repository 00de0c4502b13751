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

extension PointCloud {
    /// `projecting` for the points of one small area (a matching tile's), through a lattice
    /// checked against the exact projection: the box of the points is cut into `cells` x `cells`
    /// cells whose corners are projected exactly, every point is interpolated bilinearly in its
    /// cell, and the interpolation is used only when, at every cell's centre, it is within
    /// `tolerance` metres of the exact projection (a map projection is smooth: over a tile of
    /// a few hundred metres the bilinear error is micrometres); otherwise every point is
    /// projected exactly. Deterministic: the same points give the same cloud.
    ///
    /// - Complexity: O(count) plus 2 (cells + 1)² exact projections.
    public static func projectingTile(
        longitudes: [Double], latitudes: [Double], heights: [Double], epsg: Int?, cells: Int = 16, tolerance: Double = 1e-4
    ) throws -> PointCloud {
        precondition(longitudes.count == latitudes.count && latitudes.count == heights.count, "arrays of one length")
        var lon0 = Double.infinity, lon1 = -Double.infinity, lat0 = Double.infinity, lat1 = -Double.infinity
        for i in longitudes.indices where longitudes[i].isFinite && latitudes[i].isFinite {
            lon0 = min(lon0, longitudes[i]); lon1 = max(lon1, longitudes[i])
            lat0 = min(lat0, latitudes[i]); lat1 = max(lat1, latitudes[i])
        }
        // Few points, none finite, or an area too large for a lattice of this size: exactly.
        guard let epsg, longitudes.count > 4 * (cells + 1) * (cells + 1), lon0 < lon1, lat0 < lat1,
              lon1 - lon0 < 0.05, lat1 - lat0 < 0.05 else {
            return try projecting(longitudes: longitudes, latitudes: latitudes, heights: heights, epsg: epsg)
        }
        let n = cells + 1, dlon = (lon1 - lon0) / Double(cells), dlat = (lat1 - lat0) / Double(cells)
        // Corners first (n²), then centres (cells²), projected in one call.
        var lons: [Double] = [], lats: [Double] = []
        for j in 0..<n { for i in 0..<n { lons.append(lon0 + Double(i) * dlon); lats.append(lat0 + Double(j) * dlat) } }
        for j in 0..<cells { for i in 0..<cells { lons.append(lon0 + (Double(i) + 0.5) * dlon); lats.append(lat0 + (Double(j) + 0.5) * dlat) } }
        let nodes = try projecting(longitudes: lons, latitudes: lats, heights: [Double](repeating: 0, count: lons.count), epsg: epsg)
        func interpolate(_ u: Double, _ v: Double) -> (x: Double, y: Double) {
            let i = min(cells - 1, max(0, Int(u))), j = min(cells - 1, max(0, Int(v)))
            let fu = u - Double(i), fv = v - Double(j)
            let a = j * n + i, b = a + 1, c = a + n, d = c + 1
            let x = (nodes.x[a] * (1 - fu) + nodes.x[b] * fu) * (1 - fv) + (nodes.x[c] * (1 - fu) + nodes.x[d] * fu) * fv
            let y = (nodes.y[a] * (1 - fu) + nodes.y[b] * fu) * (1 - fv) + (nodes.y[c] * (1 - fu) + nodes.y[d] * fu) * fv
            return (x, y)
        }
        for j in 0..<cells {
            for i in 0..<cells {
                let k = n * n + j * cells + i
                let p = interpolate(Double(i) + 0.5, Double(j) + 0.5)
                guard nodes.x[k].isFinite, nodes.y[k].isFinite, abs(p.x - nodes.x[k]) <= tolerance, abs(p.y - nodes.y[k]) <= tolerance else {
                    return try projecting(longitudes: longitudes, latitudes: latitudes, heights: heights, epsg: epsg)
                }
            }
        }
        var xs = [Double](repeating: .nan, count: longitudes.count), ys = xs
        for k in longitudes.indices where longitudes[k].isFinite && latitudes[k].isFinite {
            let p = interpolate((longitudes[k] - lon0) / dlon, (latitudes[k] - lat0) / dlat)
            xs[k] = p.x
            ys[k] = p.y
        }
        return PointCloud(x: xs, y: ys, z: heights, epsg: nodes.epsg)
    }
}
