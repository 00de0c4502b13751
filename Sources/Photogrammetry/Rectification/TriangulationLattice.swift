import Foundation

/// The triangulation of a rectified tile's matches through a local approximation checked
/// against the exact one: the ground point of a match (x, y, d) is a smooth function of the
/// rectified position and the disparity, so it is triangulated exactly (`RPCModel.triangulate`)
/// on a lattice of `step` x `step` pixels by `disparityStep` disparities, and interpolated
/// trilinearly inside a lattice cell only when, at the cell's centre, the interpolation differs
/// from the exact triangulation by less than `tolerance`; the matches of the other cells are
/// triangulated exactly. Cells are checked when first met, so a tile pays only for the
/// disparities its matches use (the RPC's whole validity range may be searched).
///
/// Errors are bounded on the ground: `tolerance` metres horizontally (longitude and latitude
/// scaled to metres) and vertically, and `residualTolerance` pixels on the largest
/// re-projection residual (which the pipeline thresholds). A smooth map's trilinear error is
/// largest near the cell's centre, so the check there bounds it over the cell up to
/// higher-order terms; cells whose corners failed to triangulate (outside the models'
/// domains) are always exact.
///
/// Not thread-safe: one per tile and thread.
final class TriangulationLattice {
    struct Point {
        var longitude: Double
        var latitude: Double
        var height: Double
        /// The largest re-projection residual over the two views, pixels.
        var residual: Double
    }

    let rectification: TileRectification
    let step: Int
    let disparityStep: Int
    let tolerance: Double
    let residualTolerance: Double
    /// Lattice origin in disparity and node counts along x, y, d.
    private let d0: Int
    private let nx: Int, ny: Int, nd: Int
    /// Node values (NaN longitude: not computed yet; `failed`: did not triangulate).
    private var nodes: [Point?]
    private var computed: [Bool]
    /// Per cell: 0 unknown, 1 interpolated, 2 exact.
    private var cells: [UInt8]
    private var views: [RPCObservation]
    private let metresPerDegreeLatitude = 111_132.0
    private let metresPerDegreeLongitude: Double

    /// How the tile's matches were triangulated (for the run's statistics and tests).
    private(set) var interpolatedPoints = 0
    private(set) var exactPoints = 0
    private(set) var exactTriangulations = 0

    init(rectification r: TileRectification, step: Int = 32, disparityStep: Int = 16,
         tolerance: Double = 0.005, residualTolerance: Double = 0.01) {
        rectification = r
        self.step = step
        self.disparityStep = disparityStep
        self.tolerance = tolerance
        self.residualTolerance = residualTolerance
        // One disparity beyond the range each side: sub-pixel refinement may step out of it.
        d0 = r.disparities.lowerBound - 1
        let d1 = r.disparities.upperBound + 1
        nx = (max(1, r.width - 1) + step - 1) / step + 1
        ny = (max(1, r.height - 1) + step - 1) / step + 1
        nd = (d1 - d0 + disparityStep - 1) / disparityStep + 1
        nodes = Array(repeating: nil, count: nx * ny * nd)
        computed = Array(repeating: false, count: nx * ny * nd)
        cells = Array(repeating: 0, count: max(1, (nx - 1) * (ny - 1) * max(1, nd - 1)))
        views = [RPCObservation(model: r.reference.model, column: 0, row: 0),
                 RPCObservation(model: r.secondary.model, column: 0, row: 0)]
        let centre = r.reference.model.coefficients.latitudeOffset
        metresPerDegreeLongitude = 111_320 * cos(centre * .pi / 180)
    }

    /// The exact triangulation of match (x, y, d), nil when it fails.
    func exact(x: Double, y: Double, disparity d: Double) -> Point? {
        let s = rectification.sensorPoints(x: x, y: y, disparity: d)
        (views[0].column, views[0].row) = (s.reference.x, s.reference.y)
        (views[1].column, views[1].row) = (s.secondary.x, s.secondary.y)
        exactTriangulations += 1
        guard let g = try? RPCModel.triangulate(views) else { return nil }
        return Point(longitude: g.longitude, latitude: g.latitude, height: g.height, residual: g.residuals.max() ?? .infinity)
    }

    private func node(_ i: Int, _ j: Int, _ k: Int) -> Point? {
        let index = (k * ny + j) * nx + i
        if !computed[index] {
            nodes[index] = exact(x: Double(i * step), y: Double(j * step), disparity: Double(d0 + k * disparityStep))
            computed[index] = true
        }
        return nodes[index]
    }

    /// The ground point of match (x, y, d): interpolated where the lattice cell passed its
    /// check, exact elsewhere; nil when the exact triangulation fails.
    func point(x: Double, y: Double, disparity d: Double) -> Point? {
        let fx = x / Double(step), fy = y / Double(step), fd = (d - Double(d0)) / Double(disparityStep)
        let i = Int(fx.rounded(.down)), j = Int(fy.rounded(.down)), k = Int(fd.rounded(.down))
        guard i >= 0, j >= 0, k >= 0, i < nx - 1, j < ny - 1, k < nd - 1 else {
            exactPoints += 1
            return exact(x: x, y: y, disparity: d)
        }
        let cell = (k * (ny - 1) + j) * (nx - 1) + i
        if cells[cell] == 0 { cells[cell] = check(i, j, k) ? 1 : 2 }
        guard cells[cell] == 1 else {
            exactPoints += 1
            return exact(x: x, y: y, disparity: d)
        }
        interpolatedPoints += 1
        return interpolate(i, j, k, fx - Double(i), fy - Double(j), fd - Double(k))
    }

    /// Trilinear interpolation in cell (i, j, k) at fractions (u, v, w); the corners exist.
    private func interpolate(_ i: Int, _ j: Int, _ k: Int, _ u: Double, _ v: Double, _ w: Double) -> Point {
        var p = Point(longitude: 0, latitude: 0, height: 0, residual: 0)
        for c in 0..<8 {
            let di = c & 1, dj = (c >> 1) & 1, dk = c >> 2
            let weight = (di == 1 ? u : 1 - u) * (dj == 1 ? v : 1 - v) * (dk == 1 ? w : 1 - w)
            let n = nodes[((k + dk) * ny + j + dj) * nx + i + di]!
            p.longitude += weight * n.longitude
            p.latitude += weight * n.latitude
            p.height += weight * n.height
            p.residual += weight * n.residual
        }
        return p
    }

    /// Whether cell (i, j, k) may be interpolated: its 8 corners triangulate and, at its centre,
    /// the interpolation is within the tolerances of the exact triangulation.
    private func check(_ i: Int, _ j: Int, _ k: Int) -> Bool {
        for c in 0..<8 where node(i + (c & 1), j + ((c >> 1) & 1), k + (c >> 2)) == nil { return false }
        let x = (Double(i) + 0.5) * Double(step), y = (Double(j) + 0.5) * Double(step)
        let d = Double(d0) + (Double(k) + 0.5) * Double(disparityStep)
        guard let e = exact(x: x, y: y, disparity: d) else { return false }
        let a = interpolate(i, j, k, 0.5, 0.5, 0.5)
        let east = (a.longitude - e.longitude) * metresPerDegreeLongitude, north = (a.latitude - e.latitude) * metresPerDegreeLatitude
        return (east * east + north * north).squareRoot() <= tolerance && abs(a.height - e.height) <= tolerance
            && abs(a.residual - e.residual) <= residualTolerance
    }
}
