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
