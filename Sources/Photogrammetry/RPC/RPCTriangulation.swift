import Dispatch

/// A ground point found from several views, with its re-projection residual in each.
public struct RPCTriangulation: Sendable, Equatable {
    public var longitude: Double
    public var latitude: Double
    /// Metres above the WGS84 ellipsoid.
    public var height: Double
    /// Distance in pixels between each view's observation and the projection of the point.
    public var residuals: [Double]
    public var iterations: Int
}

/// One observation: a camera and the image point (0-based pixel centres) seen in it.
public struct RPCObservation: Sendable {
    public var model: RPCModel
    public var column: Double
    public var row: Double
    public init(model: RPCModel, column: Double, row: Double) {
        self.model = model
        self.column = column
        self.row = row
    }
}

extension RPCModel {
    /// Triangulates two or more views: (lon, lat, h) minimising the sum of squared
    /// re-projection errors in pixels, by Gauss-Newton on the RPC00B models with their analytic
    /// Jacobians, starting from the localisation of the first view at its model's mid height.
    ///
    /// - Throws: `RPCError.notEnoughViews`, `RPCError.triangulationDidNotConverge` (parallel
    ///   rays, non-finite values), or a localisation error of the starting point.
    /// - Complexity: O(views) per iteration, usually 3-5 iterations.
    public static func triangulate(_ views: [RPCObservation], maxIterations: Int = 30) throws -> RPCTriangulation {
        guard views.count >= 2 else { throw RPCError.notEnoughViews(views.count) }
        // The views are read in place (views[v].model...): copying an observation would retain
        // every array of its model, per view and iteration.
        let h0 = views[0].model.coefficients.heightOffset
        let g0 = try views[0].model.localization(column: views[0].column, row: views[0].row, height: h0)
        var x = SIMD3(g0.longitude, g0.latitude, h0)
        for iteration in 1...maxIterations {
            // Normal equations J^T J dx = J^T r of the 2n x 3 system (3 unknowns: tiny).
            var jtj = (SIMD3<Double>.zero, SIMD3<Double>.zero, SIMD3<Double>.zero)
            var jtr = SIMD3<Double>.zero
            for v in views.indices {
                let f = views[v].model.projector.valueAndJacobian(x.x, x.y, x.z)
                let r = SIMD2(views[v].column - f.u, views[v].row - f.v)
                jtj.0 += f.du * f.du.x + f.dv * f.dv.x
                jtj.1 += f.du * f.du.y + f.dv * f.dv.y
                jtj.2 += f.du * f.du.z + f.dv * f.dv.z
                jtr += f.du * r.x + f.dv * r.y
            }
            guard let step = solve3(jtj, jtr) else {
                throw RPCError.triangulationDidNotConverge(iterations: iteration, views: views.count)
            }
            x += step
            guard all(x .== x) else { throw RPCError.triangulationDidNotConverge(iterations: iteration, views: views.count) }
            // 1e-12 degree is 0.1 micrometre; 1e-7 m in height.
            if abs(step.x) < 1e-12, abs(step.y) < 1e-12, abs(step.z) < 1e-7 {
                let residuals = views.indices.map { v -> Double in
                    let p = views[v].model.projection(longitude: x.x, latitude: x.y, height: x.z)
                    let (dc, dr) = (p.column - views[v].column, p.row - views[v].row)
                    return (dc * dc + dr * dr).squareRoot()
                }
                return RPCTriangulation(longitude: x.x, latitude: x.y, height: x.z, residuals: residuals, iterations: iteration)
            }
        }
        throw RPCError.triangulationDidNotConverge(iterations: maxIterations, views: views.count)
    }

    /// Triangulates many points seen in the same views: `columns[v][i]`, `rows[v][i]` is point
    /// i in view v. Parallel over points. A point that fails gets NaN ground coordinates and an
    /// infinite residual.
    /// - Returns: per point lon, lat, h and the largest residual over the views (pixels).
    public static func triangulate(
        models: [RPCModel], columns: [[Double]], rows: [[Double]]
    ) throws -> (longitudes: [Double], latitudes: [Double], heights: [Double], maxResiduals: [Double]) {
        guard models.count >= 2 else { throw RPCError.notEnoughViews(models.count) }
        precondition(columns.count == models.count && rows.count == models.count, "one column and row array per view")
        let n = columns[0].count
        precondition(columns.allSatisfy { $0.count == n } && rows.allSatisfy { $0.count == n }, "arrays of one length")
        var out = [Double](repeating: .nan, count: 4 * n)
        out.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let o = buffer.baseAddress!
            forEachChunk(n) { range in
                // One observation array per chunk, its points updated in place (no model copies).
                var views = models.map { RPCObservation(model: $0, column: 0, row: 0) }
                for i in range {
                    for v in views.indices { (views[v].column, views[v].row) = (columns[v][i], rows[v][i]) }
                    if let t = try? triangulate(views) {
                        o[4 * i] = t.longitude
                        o[4 * i + 1] = t.latitude
                        o[4 * i + 2] = t.height
                        o[4 * i + 3] = t.residuals.max() ?? 0
                    } else {
                        o[4 * i + 3] = .infinity
                    }
                }
            }
        }
        return (stride(from: 0, to: 4 * n, by: 4).map { out[$0] }, stride(from: 1, to: 4 * n, by: 4).map { out[$0] },
                stride(from: 2, to: 4 * n, by: 4).map { out[$0] }, stride(from: 3, to: 4 * n, by: 4).map { out[$0] })
    }
}

/// Solves the symmetric 3x3 system given by its columns, with row/column scaling so that
/// degrees and metres mix safely (Cramer's rule on the scaled system). nil when singular.
func solve3(_ a: (SIMD3<Double>, SIMD3<Double>, SIMD3<Double>), _ b: SIMD3<Double>) -> SIMD3<Double>? {
    // Jacobi scaling: D^-1/2 A D^-1/2 y = D^-1/2 b, x = D^-1/2 y.
    let d = SIMD3(a.0.x, a.1.y, a.2.z)
    guard d.x > 0, d.y > 0, d.z > 0 else { return nil }
    let s = 1 / d.squareRoot()
    let c0 = a.0 * s * s.x, c1 = a.1 * s * s.y, c2 = a.2 * s * s.z
    let rhs = b * s
    func det(_ p: SIMD3<Double>, _ q: SIMD3<Double>, _ r: SIMD3<Double>) -> Double {
        p.x * (q.y * r.z - q.z * r.y) - q.x * (p.y * r.z - p.z * r.y) + r.x * (p.y * q.z - p.z * q.y)
    }
    let D = det(c0, c1, c2)
    guard abs(D) > 1e-14 else { return nil }
    let y = SIMD3(det(rhs, c1, c2), det(c0, rhs, c2), det(c0, c1, rhs)) / D
    let x = y * s
    return all(x .== x) ? x : nil
}
