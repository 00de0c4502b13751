import Raster

/// A DSM compared with a reference DSM (e.g. s2p's) on the reference's grid.
public struct DSMComparison: Sendable, CustomStringConvertible {
    /// Reference cells with a height, and those of them where the DSM has one too.
    public var referenceValid: Int
    public var common: Int
    /// Median of (DSM - reference) over the common cells, metres.
    public var median: Double
    /// 1.4826 · median(|diff - median|), metres.
    public var nmad: Double
    /// Share of |diff| above 1 m (the gross errors), over the common cells.
    public var shareAbove1m: Double
    /// common / referenceValid.
    public var validShare: Double { referenceValid > 0 ? Double(common) / Double(referenceValid) : 0 }

    public var description: String {
        String(format: "median %+.3f m, NMAD %.3f m, valid %.1f %% (%d of %d reference cells), |diff| > 1 m: %.1f %%",
               median, nmad, 100 * validShare, common, referenceValid, 100 * shareAbove1m)
    }

    /// Samples `dsm` at the centre of each valid cell of `reference` (nearest cell; both must be
    /// north-up in one horizontal CRS, which is checked: a compound CRS is compared by its
    /// horizontal part) and summarises the differences. With grids on the same lines and
    /// resolution, this is cell against cell. With `region`, only the reference cells whose
    /// centre, at the reference's height, projects inside `region.window` of the image of
    /// `region.model` count (e.g. the ROI a DSM was computed over).
    ///
    /// Heights are compared in one datum: each DSM's is read from its CRS's vertical part
    /// (EPSG 5773, EGM96 height) or its `VERTICAL_DATUM` metadata; when both are declared and
    /// differ, the reference's heights are converted with `geoid` (an EGM96 grid).
    ///
    /// - Throws: `DSMError.invalidGrid` when a raster is not georeferenced north-up, the
    ///   horizontal CRSs differ, or the datums differ and no geoid is given; `.missingCRS` for a
    ///   region or a datum conversion without the reference's CRS; `RasterError`.
    /// - Parameter referenceEPSG: the reference's CRS when its own is not identified.
    public static func compare(
        dsm: String, reference: String, region: (model: RPCModel, window: Window)? = nil, referenceEPSG: Int? = nil,
        geoid: Geoid? = nil
    ) throws -> DSMComparison {
        let ours = try Dataset(path: dsm), theirs = try Dataset(path: reference)
        guard let g1 = ours.geoTransform, let g0 = theirs.geoTransform, g1.isNorthUp, g0.isNorthUp,
              let inverse = g1.inverted() else {
            throw DSMError.invalidGrid(reason: "both DSMs must be georeferenced north-up")
        }
        // Same horizontal CRS: one EPSG code when both have one, else OSR's test.
        let referenceCRS = try referenceEPSG.map { try SpatialReference(epsg: $0) } ?? theirs.spatialReference?.horizontal
        if let s1 = ours.spatialReference?.horizontal, let s0 = referenceCRS,
           (s1.epsg != nil && s0.epsg != nil) ? s1.epsg != s0.epsg : !s1.isSame(as: s0) {
            throw DSMError.invalidGrid(reason: "\(dsm) and \(reference) are in different CRSs")
        }
        let datumOurs = declaredDatum(ours), datumTheirs = declaredDatum(theirs)
        // Reference heights to add to reach our datum: +N from EGM96 to the ellipsoid, -N back.
        let undulationSign: Double = switch (datumTheirs, datumOurs) {
        case (.egm96?, .ellipsoid?): 1
        case (.ellipsoid?, .egm96?): -1
        default: 0
        }
        if undulationSign != 0, geoid == nil {
            throw DSMError.invalidGrid(reason: "\(dsm) holds \(datumOurs!.rawValue) heights and \(reference) \(datumTheirs!.rawValue) "
                                       + "heights: give the EGM96 geoid grid (--geoid) to convert them")
        }
        let a = try ours.readAll(Float.self), b = try theirs.readAll(Float.self)
        let noA = try ours.nodata().map(Float.init), noB = try theirs.nodata().map(Float.init)
        // Valid reference cells: centre and height.
        var xs: [Double] = [], ys: [Double] = [], hs: [Double] = []
        for row in 0..<b.height {
            for col in 0..<b.width {
                let h0 = b[col, row]
                guard h0.isFinite, h0 != noB else { continue }
                let p = g0.apply(pixel: Double(col) + 0.5, line: Double(row) + 0.5)
                xs.append(p.x)
                ys.append(p.y)
                hs.append(Double(h0))
            }
        }
        // The reference cells' longitudes and latitudes, when a datum conversion or a region needs
        // them (one transformation for both).
        var geographic: (lon: [Double], lat: [Double])?
        if !xs.isEmpty, (undulationSign != 0 && geoid != nil) || region != nil {
            guard let crs = referenceCRS else { throw DSMError.missingCRS(source: reference) }
            var lon = xs, lat = ys, z = [Double](repeating: 0, count: xs.count)
            try CoordinateTransformation(from: crs, to: try SpatialReference(epsg: 4326)).transform(x: &lon, y: &lat, z: &z)
            geographic = (lon, lat)
        }
        if undulationSign != 0, let geoid, let (lon, lat) = geographic {
            for k in hs.indices { hs[k] += undulationSign * (try geoid.undulation(longitude: lon[k], latitude: lat[k])) }
        }
        var keep = [Bool](repeating: true, count: xs.count)
        if let region, let (lon, lat) = geographic {
            let image = region.model.project(longitudes: lon, latitudes: lat, heights: hs)
            let w = region.window
            for k in keep.indices {
                let c = image.columns[k].rounded(), r = image.rows[k].rounded()
                keep[k] = c >= Double(w.x) && c < Double(w.maxX) && r >= Double(w.y) && r < Double(w.maxY)
            }
        }
        var diffs: [Double] = []
        var referenceValid = 0
        for k in xs.indices where keep[k] {
            referenceValid += 1
            let q = inverse.apply(pixel: xs[k], line: ys[k])
            let i = Int(q.x.rounded(.down)), j = Int(q.y.rounded(.down))
            guard i >= 0, j >= 0, i < a.width, j < a.height else { continue }
            let h1 = a[i, j]
            guard h1.isFinite, h1 != noA else { continue }
            diffs.append(Double(h1) - hs[k])
        }
        guard !diffs.isEmpty else {
            return DSMComparison(referenceValid: referenceValid, common: 0, median: .nan, nmad: .nan, shareAbove1m: .nan)
        }
        let median = Self.median(diffs)
        let nmad = 1.4826 * Self.median(diffs.map { abs($0 - median) })
        let above = diffs.reduce(0) { $0 + (abs($1) > 1 ? 1 : 0) }
        return DSMComparison(referenceValid: referenceValid, common: diffs.count, median: median, nmad: nmad,
                             shareAbove1m: Double(above) / Double(diffs.count))
    }

    /// The height datums `compare` tells apart.
    enum Datum: String { case ellipsoid = "ellipsoidal (WGS84)", egm96 = "EGM96 geoid" }

    /// A DSM's declared datum: its CRS's vertical part, else its `VERTICAL_DATUM` metadata
    /// (Relief's DSMs); nil when it declares none.
    static func declaredDatum(_ d: Dataset) -> Datum? {
        if let srs = d.spatialReference, srs.isCompound {
            if srs.verticalEPSG == 5773 || (srs.verticalName ?? "").uppercased().contains("EGM96") { return .egm96 }
            return nil
        }
        switch d.metadata()["VERTICAL_DATUM"] {
        case "WGS84 ellipsoid": return .ellipsoid
        case "EGM96 geoid": return .egm96
        default: return nil
        }
    }

    /// numpy's median of a non-empty array (`cellMedian`, the rasteriser's, on a copy).
    static func median(_ values: [Double]) -> Double {
        var copy = values
        return copy.withUnsafeMutableBufferPointer { cellMedian($0) }
    }
}
