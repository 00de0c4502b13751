import CGDAL

/// A coordinate reference system (OGRSpatialReferenceH), in the traditional GIS axis order
/// (longitude/easting first). Owns its handle; not for sharing across threads.
public final class SpatialReference {
    let handle: OGRSpatialReferenceH

    private init(handle: OGRSpatialReferenceH) {
        OSRSetAxisMappingStrategy(handle, OAMS_TRADITIONAL_GIS_ORDER)
        self.handle = handle
    }

    /// From anything GDAL understands: "EPSG:32631", WKT, PROJ strings, "WGS84".
    public convenience init(_ definition: String) throws {
        GDALEnvironment.ensureInitialized()
        guard let h = OSRNewSpatialReference(nil) else {
            throw RasterError(.spatialReference, message: "cannot allocate a spatial reference")
        }
        CPLErrorReset()
        if OSRSetFromUserInput(h, definition) != OGRERR_NONE {
            let error = GDALCall.error(.spatialReference, path: nil, "cannot understand CRS '\(definition.prefix(120))'")
            OSRDestroySpatialReference(h)
            throw error
        }
        self.init(handle: h)
    }

    public convenience init(epsg: Int) throws {
        try self.init("EPSG:\(epsg)")
    }

    /// A copy of a handle owned by someone else (a dataset's SRS).
    convenience init?(cloning other: OGRSpatialReferenceH?) {
        guard let other, let h = OSRClone(other) else { return nil }
        self.init(handle: h)
    }

    deinit { OSRDestroySpatialReference(handle) }

    /// WKT2 (2019) text.
    public var wkt: String {
        var out: UnsafeMutablePointer<CChar>? = nil
        let ok = CStringList.withList([("FORMAT", "WKT2_2019")]) { list -> OGRErr in
            guard let opts = list else { return OGRERR_FAILURE }
            return opts.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: 2) { OSRExportToWktEx(handle, &out, $0) }
        }
        defer { relief_cpl_free(out) }
        guard ok == OGRERR_NONE, let out else { return "" }
        return String(cString: out)
    }

    /// The EPSG code, when the CRS is (or is identified as) an EPSG one; for a compound CRS
    /// (horizontal + vertical), the code of its horizontal part.
    public var epsg: Int? {
        if isCompound { return horizontal?.epsg }
        if let code = authorityCode() { return code }
        guard let copy = OSRClone(handle) else { return nil }
        defer { OSRDestroySpatialReference(copy) }
        guard OSRAutoIdentifyEPSG(copy) == OGRERR_NONE,
              let name = OSRGetAuthorityName(copy, nil), String(cString: name) == "EPSG",
              let code = OSRGetAuthorityCode(copy, nil) else { return nil }
        return Int(String(cString: code))
    }

    private func authorityCode() -> Int? {
        guard let name = OSRGetAuthorityName(handle, nil), String(cString: name) == "EPSG",
              let code = OSRGetAuthorityCode(handle, nil) else { return nil }
        return Int(String(cString: code))
    }

    /// A compound CRS: a horizontal CRS with a vertical one (e.g. UTM + "EGM96 height").
    public var isCompound: Bool { OSRIsCompound(handle) != 0 }

    /// The CRS without its vertical part (a copy; the CRS itself when it has none), for
    /// horizontal coordinate transformations that must not shift heights.
    public var horizontal: SpatialReference? {
        guard let copy = OSRClone(handle) else { return nil }
        guard OSRStripVertical(copy) == OGRERR_NONE else {
            OSRDestroySpatialReference(copy)
            return nil
        }
        return SpatialReference(handle: copy)
    }

    /// The EPSG code of the vertical part of a compound CRS (5773 for EGM96 height), when it has one.
    public var verticalEPSG: Int? {
        guard isCompound, let name = OSRGetAuthorityName(handle, "VERT_CS"), String(cString: name) == "EPSG",
              let code = OSRGetAuthorityCode(handle, "VERT_CS") else { return nil }
        return Int(String(cString: code))
    }

    /// The name of the vertical part of a compound CRS ("EGM96 height"), when it has one.
    public var verticalName: String? {
        guard isCompound, let name = OSRGetAttrValue(handle, "VERT_CS", 0) else { return nil }
        return String(cString: name)
    }

    /// The compound CRS of an EPSG horizontal CRS and an EPSG vertical one (e.g. 32631 + 5773).
    public static func compound(horizontalEPSG: Int, verticalEPSG: Int) throws -> SpatialReference {
        try SpatialReference("EPSG:\(horizontalEPSG)+\(verticalEPSG)")
    }

    public var isGeographic: Bool { OSRIsGeographic(handle) != 0 }
    public var isProjected: Bool { OSRIsProjected(handle) != 0 }

    /// True when both describe the same CRS (GDAL's OSRIsSame).
    public func isSame(as other: SpatialReference) -> Bool { OSRIsSame(handle, other.handle) != 0 }

    /// The WGS 84 UTM zone CRS (EPSG 326zz north, 327zz south) holding a longitude/latitude.
    public static func utmEPSG(longitude: Double, latitude: Double) -> Int {
        let zone = min(60, max(1, Int(((longitude + 180) / 6).rounded(.down)) + 1))
        return (latitude >= 0 ? 32600 : 32700) + zone
    }
}

@available(*, unavailable, message: "GDAL spatial reference handles must not cross threads")
extension SpatialReference: Sendable {}

/// Converts coordinates between two CRSs (OGRCoordinateTransformationH).
public final class CoordinateTransformation {
    let handle: OGRCoordinateTransformationH

    public init(from source: SpatialReference, to target: SpatialReference) throws {
        CPLErrorReset()
        guard let h = OCTNewCoordinateTransformation(source.handle, target.handle) else {
            throw GDALCall.error(.spatialReference, path: nil, "no transformation between the two CRSs")
        }
        handle = h
    }

    deinit { OCTDestroyCoordinateTransformation(handle) }

    /// Transforms points in place; throws naming the first point that failed.
    public func transform(x: inout [Double], y: inout [Double], z: inout [Double]) throws {
        precondition(x.count == y.count && y.count == z.count, "transform: arrays of different lengths")
        let n = x.count
        guard n > 0 else { return }
        var ok = [Int32](repeating: 0, count: n)
        CPLErrorReset()
        let result = OCTTransformEx(handle, Int32(n), &x, &y, &z, &ok)
        if result == 0 || ok.contains(0) {
            let bad = ok.firstIndex(of: 0) ?? 0
            throw GDALCall.error(.spatialReference, path: nil, "cannot transform point \(bad) of \(n)")
        }
    }

    /// Transforms one point.
    public func transform(x: Double, y: Double, z: Double = 0) throws -> (x: Double, y: Double, z: Double) {
        var xs = [x], ys = [y], zs = [z]
        try transform(x: &xs, y: &ys, z: &zs)
        return (xs[0], ys[0], zs[0])
    }
}

@available(*, unavailable, message: "GDAL coordinate transformation handles must not cross threads")
extension CoordinateTransformation: Sendable {}
