import Foundation
import Raster

/// Where an orthorectification takes the height of each output pixel from.
public enum OrthoHeightSource: Sendable {
    /// One height in metres above the WGS84 ellipsoid everywhere (flat terrain, quick looks).
    case constant(Double)
    /// A DEM or DSM file GDAL reads (SRTM `.hgt`, GeoTIFF in degrees or UTM), sampled bilinearly;
    /// `geoid` when its heights are above that geoid (SRTM: EGM96), nil when ellipsoidal.
    case dem(path: String, geoid: Geoid?)
    /// Heights in memory, e.g. the DSM the pipeline just made (ortho texture on the DSM grid).
    case grid(HeightGrid)
}

/// Maps output-grid pixel positions to sensor positions, exactly: grid pixel centre -> projected
/// (x, y) -> lon/lat (PROJ) -> height (constant or bilinear in a `HeightGrid`, + geoid) -> RPC
/// projection (batched SIMD kernel). Holds GDAL coordinate transformations: one per thread.
final class GroundToSensor {
    let grid: OrthoGrid
    let model: RPCModel
    let heights: ResolvedHeights
    private let toLonLat: CoordinateTransformation?
    private let toHeightCRS: CoordinateTransformation?

    init(grid: OrthoGrid, model: RPCModel, heights: ResolvedHeights) throws {
        self.grid = grid
        self.model = model
        self.heights = heights
        let output = try SpatialReference(epsg: grid.epsg)
        let wgs84 = try SpatialReference(epsg: 4326)
        toLonLat = output.isSame(as: wgs84) ? nil : try CoordinateTransformation(from: output, to: wgs84)
        if case .grid(let g) = heights, g.epsg != grid.epsg, g.epsg != 4326 {
            toHeightCRS = try CoordinateTransformation(from: output, to: try SpatialReference(epsg: g.epsg))
        } else {
            toHeightCRS = nil
        }
    }

    /// Sensor (column, row) (0-based pixel centres of the image the model describes) of output
    /// pixel positions (`columns`, `rows` in the grid's pixel units, 0 = first pixel centre);
    /// NaN where the height is unknown.
    /// - Complexity: O(n): one PROJ transformation, one height sample and one RPC projection per point.
    func map(columns: [Double], rows: [Double]) throws -> (columns: [Double], rows: [Double]) {
        let n = columns.count
        var xs = [Double](repeating: 0, count: n), ys = [Double](repeating: 0, count: n)
        for k in 0..<n {
            let p = grid.centre(column: columns[k], row: rows[k])
            xs[k] = p.x
            ys[k] = p.y
        }
        var lons = xs, lats = ys
        if let toLonLat, n > 0 {
            var zs = [Double](repeating: 0, count: n)
            try toLonLat.transform(x: &lons, y: &lats, z: &zs)
        }
        var hs: [Double]
        switch heights {
        case .constant(let h):
            hs = [Double](repeating: h, count: n)
        case .grid(let g):
            var gx = xs, gy = ys
            if g.epsg == 4326 { gx = lons; gy = lats } else if let toHeightCRS, n > 0 {
                var zs = [Double](repeating: 0, count: n)
                try toHeightCRS.transform(x: &gx, y: &gy, z: &zs)
            }
            hs = (0..<n).map { g.sample(x: gx[$0], y: gy[$0]) }
            if let geoid = g.geoid {
                for k in 0..<n where hs[k].isFinite {
                    hs[k] += (try? geoid.undulation(longitude: lons[k], latitude: lats[k])) ?? .nan
                }
            }
        }
        return model.project(longitudes: lons, latitudes: lats, heights: hs)  // NaN heights give NaN
    }
}

/// A height source ready for sampling (DEM files read into memory over the area needed).
enum ResolvedHeights: Sendable {
    case constant(Double)
    case grid(HeightGrid)
}
