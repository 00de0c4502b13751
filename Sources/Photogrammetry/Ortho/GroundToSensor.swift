import Foundation
import Raster

/// Maps output-grid pixel positions to sensor positions, exactly: grid pixel centre -> projected
/// (x, y) -> lon/lat (PROJ) -> height (constant or bilinear in a `HeightGrid`, + geoid) -> RPC
/// projection (batched SIMD kernel). Holds GDAL coordinate transformations: one per thread.
final class GroundToSensor {
    let grid: OrthoGrid
    let model: RPCModel
    let heights: ResolvedHeights
    private let toLonLat: CoordinateTransformation?
    private let toHeightCRS: CoordinateTransformation?
    /// `.raster` heights: this thread's handle on the raster, and the window the current tile
    /// samples (nil when the tile lies outside the raster).
    private let heightFile: Dataset?
    private var tileHeights: HeightGrid?

    init(grid: OrthoGrid, model: RPCModel, heights: ResolvedHeights) throws {
        self.grid = grid
        self.model = model
        self.heights = heights
        let output = try SpatialReference(epsg: grid.epsg)
        let wgs84 = try SpatialReference(epsg: 4326)
        toLonLat = output.isSame(as: wgs84) ? nil : try CoordinateTransformation(from: output, to: wgs84)
        if let epsg = heights.epsg, epsg != grid.epsg, epsg != 4326 {
            toHeightCRS = try CoordinateTransformation(from: output, to: try SpatialReference(epsg: epsg))
        } else {
            toHeightCRS = nil
        }
        if case .raster(let r) = heights { heightFile = try Dataset(path: r.path) } else { heightFile = nil }
    }

    /// Longitude/latitude (and the geoid undulation, and DEM coordinates when the DEM has its own
    /// CRS) on a lattice of the current tile, every `latticeStep` output pixels: PROJ and the
    /// geoid run on the lattice only, points in between are interpolated bilinearly. The inverse
    /// transverse Mercator departs from linear by about d² / (2 R) over a cell of d metres
    /// (8 m: 5 µm, 1e-5 px) and EGM96 varies over tens of km, so this is exact for our purpose;
    /// what is not smooth (the DEM's bilinear kinks, a DSM's walls) is still sampled per point.
    private var lattice: (x0: Int, y0: Int, nx: Int, ny: Int, lon: [Double], lat: [Double], n: [Double], hx: [Double], hy: [Double])?
    static let latticeStep = 8

    /// Prepares the lattice for output pixels [x0, x0 + width) x [y0, y0 + height) of the grid.
    func prepare(x0: Int, y0: Int, width: Int, height: Int) throws {
        let s = Self.latticeStep
        let nx = (width - 1) / s + 2, ny = (height - 1) / s + 2
        var xs: [Double] = [], ys: [Double] = []
        for j in 0..<ny { for i in 0..<nx {
            let p = grid.centre(column: Double(x0 + i * s), row: Double(y0 + j * s))
            xs.append(p.x); ys.append(p.y)
        } }
        var lons = xs, lats = ys
        if let toLonLat {
            var zs = [Double](repeating: 0, count: xs.count)
            try toLonLat.transform(x: &lons, y: &lats, z: &zs)
        }
        var undulation = [Double](repeating: 0, count: xs.count)
        var hx = xs, hy = ys
        if let epsg = heights.epsg {
            if let geoid = heights.geoid {
                undulation = (0..<xs.count).map { (try? geoid.undulation(longitude: lons[$0], latitude: lats[$0])) ?? .nan }
            }
            if epsg == 4326 { hx = lons; hy = lats } else if let toHeightCRS {
                var zs = [Double](repeating: 0, count: xs.count)
                try toHeightCRS.transform(x: &hx, y: &hy, z: &zs)
            }
        }
        if case .raster(let r) = heights, let heightFile {
            // Points between lattice nodes are bilinear in the nodes: inside the bounding box of the
            // finite ones (a non-finite node makes its cells' points NaN anyway).
            let fx = hx.filter(\.isFinite), fy = hy.filter(\.isFinite)
            tileHeights = try r.window(minX: fx.min() ?? .nan, minY: fy.min() ?? .nan, maxX: fx.max() ?? .nan,
                                       maxY: fy.max() ?? .nan, dataset: heightFile)
        }
        lattice = (x0, y0, nx, ny, lons, lats, undulation, hx, hy)
    }

    /// Sensor (column, row) (0-based pixel centres of the image the model describes) of output
    /// pixel positions (`columns`, `rows` in the grid's pixel units, 0 = first pixel centre),
    /// which must lie in the tile last `prepare`d; NaN where the height is unknown.
    /// - Complexity: O(n): a lattice interpolation, one height sample and one RPC projection per point.
    func map(columns: [Double], rows: [Double]) throws -> (columns: [Double], rows: [Double]) {
        guard let l = lattice else { preconditionFailure("GroundToSensor.map before prepare") }
        let n = columns.count
        let s = Double(Self.latticeStep)
        var lons = [Double](repeating: 0, count: n), lats = lons, hs = lons
        for k in 0..<n {
            let u = (columns[k] - Double(l.x0)) / s, v = (rows[k] - Double(l.y0)) / s
            let i = min(max(Int(u.rounded(.down)), 0), l.nx - 2), j = min(max(Int(v.rounded(.down)), 0), l.ny - 2)
            let fu = u - Double(i), fv = v - Double(j)
            let a = j * l.nx + i
            @inline(__always) func lerp(_ q: [Double]) -> Double {
                let top = q[a] + (q[a + 1] - q[a]) * fu, bottom = q[a + l.nx] + (q[a + l.nx + 1] - q[a + l.nx]) * fu
                return top + (bottom - top) * fv
            }
            lons[k] = lerp(l.lon)
            lats[k] = lerp(l.lat)
            switch heights {
            case .constant(let h): hs[k] = h
            case .grid(let g): hs[k] = g.sample(x: lerp(l.hx), y: lerp(l.hy)) + (g.geoid == nil ? 0 : lerp(l.n))
            case .raster(let r):
                hs[k] = (tileHeights?.sample(x: lerp(l.hx), y: lerp(l.hy)) ?? .nan) + (r.geoid == nil ? 0 : lerp(l.n))
            }
        }
        return model.project(longitudes: lons, latitudes: lats, heights: hs)  // NaN heights give NaN
    }
}

extension ResolvedHeights {
    /// The CRS of a height grid or raster (nil for a constant height).
    var epsg: Int? {
        switch self {
        case .constant: nil
        case .grid(let g): g.epsg
        case .raster(let r): r.epsg
        }
    }

    /// The geoid the heights are above (nil: ellipsoidal, or a constant height).
    var geoid: Geoid? {
        switch self {
        case .constant: nil
        case .grid(let g): g.geoid
        case .raster(let r): r.geoid
        }
    }
}
