import Foundation
import Raster

extension PWHRecipe {
    /// The lon/lat footprint of a whole sensor image on the terrain: its border (every `step`
    /// pixels) localised at a constant height, or on the DEM by fixed-point iteration (localise at
    /// the current heights, sample the DEM there, again; 4 rounds, which converges to centimetres
    /// for view angles below 30° on slopes below 45°). Counter-clockwise, not closed.
    /// - Complexity: O(border points) localisations per round; reads the DEM under the footprint.
    static func footprint(model: RPCModel, width: Int, height: Int, heights: OrthoHeightSource, step: Int = 64) throws -> [SIMD2<Double>] {
        let border = RPCModel.border(of: Window(width: width, height: height), step: step)
        var h = [Double](repeating: model.coefficients.heightOffset, count: border.columns.count)
        if case .constant(let value) = heights { h = h.map { _ in value } }
        var ground = try model.localize(columns: border.columns, rows: border.rows, heights: h)
        var dem: (path: String, geoid: Geoid?)?
        switch heights {
        case .dem(let path, let geoid), .raster(let path, let geoid): dem = (path, geoid)
        case .constant, .grid: dem = nil
        }
        if let (path, geoid) = dem {
            let lons = ground.longitudes, lats = ground.latitudes
            let box = GroundBox(minLongitude: lons.min()!, maxLongitude: lons.max()!, minLatitude: lats.min()!, maxLatitude: lats.max()!)
            // The terrain footprint moves with the height: read generously, require the first guess only.
            let grid = try HeightGrid.load(dem: path, covering: box, reading: box.expanded(by: 0.02), geoid: geoid)
            let toGrid = grid.epsg == 4326 ? nil
                : try CoordinateTransformation(from: SpatialReference(epsg: 4326), to: SpatialReference(epsg: grid.epsg))
            for _ in 0..<4 {
                var xs = ground.longitudes, ys = ground.latitudes
                if let toGrid {
                    var zs = [Double](repeating: 0, count: xs.count)
                    try toGrid.transform(x: &xs, y: &ys, z: &zs)
                }
                for k in h.indices {
                    var v = grid.sample(x: xs[k], y: ys[k])
                    if let g = grid.geoid { v += (try? g.undulation(longitude: ground.longitudes[k], latitude: ground.latitudes[k])) ?? .nan }
                    if v.isFinite { h[k] = v }   // outside the DEM or on a hole: keep the last height
                }
                ground = try model.localize(columns: border.columns, rows: border.rows, heights: h)
            }
        }
        let vertices = zip(ground.longitudes, ground.latitudes).map { SIMD2($0, $1) }
        return GroundPolygon(vertices: vertices).counterClockwise.vertices
    }
}
