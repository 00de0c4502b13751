import Foundation
import Raster

/// The height reference of a DSM. Rasterised heights are those of the cloud: above the WGS84
/// ellipsoid for clouds triangulated from RPCs (s2p's convention).
public enum VerticalDatum: Sendable {
    /// Heights above the WGS84 ellipsoid (no conversion).
    case ellipsoid
    /// Heights above a geoid (h - N), N from this grid (EGM96 `egm96_15.gtx` in practice).
    case geoid(Geoid)

    /// The `VERTICAL_DATUM` metadata value written in the DSM.
    public var metadataValue: String {
        switch self {
        case .ellipsoid: return "WGS84 ellipsoid"
        case .geoid(let geoid):
            let name = URL(fileURLWithPath: geoid.source).lastPathComponent
            return name.lowercased().contains("egm96") ? "EGM96 geoid" : "geoid \(name)"
        }
    }
}

extension VerticalDatum {
    /// The EPSG code of the vertical CRS: 5773 ("EGM96 height") for an EGM96 geoid grid, nil for
    /// the ellipsoid (the horizontal CRS's own heights) or another geoid.
    public var verticalEPSG: Int? {
        if case .geoid = self, metadataValue == "EGM96 geoid" { return 5773 }
        return nil
    }

    /// The CRS of a product in this datum: the horizontal EPSG CRS, compound with the vertical
    /// CRS when it has an EPSG code (what CARS writes, and what GDAL and QGIS read as the
    /// heights' datum).
    public func spatialReference(horizontalEPSG: Int) throws -> SpatialReference {
        if let v = verticalEPSG { return try .compound(horizontalEPSG: horizontalEPSG, verticalEPSG: v) }
        return try SpatialReference(epsg: horizontalEPSG)
    }

    /// Ellipsoidal heights of points in the EPSG CRS `epsg` converted to this datum in place
    /// (h - N for a geoid, N at each point); unchanged for the ellipsoid.
    /// - Throws: `RasterError` when the points cannot be converted to longitude and latitude,
    ///   `RPCError.geoidUndefined` outside the geoid grid.
    public func convert(heights z: inout [Double], x: [Double], y: [Double], epsg: Int) throws {
        guard case .geoid(let geoid) = self, !z.isEmpty else { return }
        var lon = x, lat = y, zero = [Double](repeating: 0, count: x.count)
        if epsg != 4326 {
            try CoordinateTransformation(from: try SpatialReference(epsg: epsg), to: try SpatialReference(epsg: 4326))
                .transform(x: &lon, y: &lat, z: &zero)
        }
        for k in z.indices { z[k] -= try geoid.undulation(longitude: lon[k], latitude: lat[k]) }
    }
}

/// Converts ellipsoidal heights of a DSM window to heights above `geoid` (H = h - N), N taken
/// at each cell centre (converted to WGS84 longitude/latitude). NaN cells stay NaN. Per cell,
/// so a tiled conversion equals the one-shot one.
///
/// - Throws: `DSMError.missingCRS` when the grid has no EPSG code, `RasterError` when the CRS
///   cannot be converted, `RPCError.geoidUndefined` outside the geoid grid.
/// - Complexity: O(window cells).
public func convertToGeoidHeights(_ heights: inout ImageBuffer<Float>, window: Window, grid: DSMGrid, geoid: Geoid) throws {
    guard let epsg = grid.epsg else { throw DSMError.missingCRS(source: "the DSM grid") }
    precondition(heights.width == window.width && heights.height == window.height, "convertToGeoidHeights: image and window differ")
    var cells: [(x: Int, y: Int)] = []
    var xs: [Double] = [], ys: [Double] = []
    for row in 0..<window.height {
        for col in 0..<window.width where !heights[col, row].isNaN {
            let c = grid.centre(column: window.x + col, row: window.y + row)
            cells.append((col, row))
            xs.append(c.x)
            ys.append(c.y)
        }
    }
    guard !cells.isEmpty else { return }
    var zs = [Double](repeating: 0, count: xs.count)
    let toGeographic = try CoordinateTransformation(from: try SpatialReference(epsg: epsg), to: try SpatialReference(epsg: 4326))
    try toGeographic.transform(x: &xs, y: &ys, z: &zs)  // traditional GIS order: x = longitude
    for (k, cell) in cells.enumerated() {
        let n = try geoid.undulation(longitude: xs[k], latitude: ys[k])
        heights[cell.x, cell.y] = Float(Double(heights[cell.x, cell.y]) - n)
    }
}
