import Foundation
import Photogrammetry
import Testing

/// Triangulation: ground points projected through the Réunion pair's two RPCs are recovered.
@Suite("RPC triangulation", .enabled(if: SampleData.root != nil, SampleData.skipMessage))
struct RPCTriangulationTests {
    /// Metres per degree on the WGS84 ellipsoid at `latitude` (meridian and parallel radii).
    static func metresPerDegree(latitude: Double) -> (lon: Double, lat: Double) {
        let a = 6_378_137.0, e2 = 0.006_694_379_990_14
        let s = sin(latitude * .pi / 180), w = (1 - e2 * s * s).squareRoot()
        let n = a / w, m = a * (1 - e2) / (w * w * w)
        return (n * cos(latitude * .pi / 180) * .pi / 180, m * .pi / 180)
    }

    /// Known ground points: a grid of pixels of img_01 localised at heights around the terrain
    /// (2270-2376 m in s2p's DSM), so they are seen by both images.
    static func groundTruth(_ left: RPCModel) throws -> [SIMD3<Double>] {
        var points: [SIMD3<Double>] = []
        for (k, h) in [2200.0, 2300.0, 2450.0].enumerated() {
            for j in 0..<6 {
                for i in 0..<6 {
                    let g = try left.localization(column: 150 + 140 * Double(i) + Double(k), row: 150 + 140 * Double(j), height: h)
                    points.append(SIMD3(g.longitude, g.latitude, h))
                }
            }
        }
        return points
    }

    @Test("Réunion pair: points projected into both images are recovered to < 1 mm")
    func reunionPair() throws {
        let left = try RPCModel.load(image: try SampleData.path("s2p_reunion_pair/input_pair/img_01.tif"))
        let right = try RPCModel.load(image: try SampleData.path("s2p_reunion_pair/input_pair/img_02.tif"))
        var worstMetres = 0.0, worstResidual = 0.0
        let truth = try Self.groundTruth(left)
        var cols: [[Double]] = [[], []], rows: [[Double]] = [[], []]
        for x in truth {
            let pl = left.projection(longitude: x.x, latitude: x.y, height: x.z)
            let pr = right.projection(longitude: x.x, latitude: x.y, height: x.z)
            cols[0].append(pl.column); rows[0].append(pl.row); cols[1].append(pr.column); rows[1].append(pr.row)
            let t = try RPCModel.triangulate([
                RPCObservation(model: left, column: pl.column, row: pl.row),
                RPCObservation(model: right, column: pr.column, row: pr.row),
            ])
            let m = Self.metresPerDegree(latitude: x.y)
            let dx = (t.longitude - x.x) * m.lon, dy = (t.latitude - x.y) * m.lat, dz = t.height - x.z
            worstMetres = max(worstMetres, (dx * dx + dy * dy + dz * dz).squareRoot())
            worstResidual = max(worstResidual, t.residuals.max()!)
            #expect(t.residuals.count == 2)
        }
        print("RPC triangulation Réunion: \(truth.count) points, max 3-D error \(worstMetres) m, max residual \(worstResidual) px")
        #expect(worstMetres < 1e-3)
        #expect(worstResidual < 1e-6)
        // Batched API: same answers.
        let batch = try RPCModel.triangulate(models: [left, right], columns: cols, rows: rows)
        for (i, x) in truth.enumerated() {
            #expect(abs(batch.heights[i] - x.z) < 1e-3 && batch.maxResiduals[i] < 1e-6)
        }
    }

    @Test("Marseille triplet: three views recover the points too")
    func threeViews() throws {
        let models = try (1...3).map { try RPCModel.load(image: try SampleData.path("s2p_marseille_triplet/input_triplet/img_0\($0).tif")) }
        var worst = 0.0
        // Terrain 81-275 m (s2p's DSM); pixels of the reference image img_02.
        for (c, r, h) in [(200.0, 200.0, 90.0), (500.0, 300.0, 150.0), (700.0, 800.0, 260.0), (350.0, 650.0, 120.0)] {
            let g = try models[1].localization(column: c, row: r, height: h)
            let views = models.map { m in
                let p = m.projection(longitude: g.longitude, latitude: g.latitude, height: h)
                return RPCObservation(model: m, column: p.column, row: p.row)
            }
            let t = try RPCModel.triangulate(views)
            let m = Self.metresPerDegree(latitude: g.latitude)
            let dx = (t.longitude - g.longitude) * m.lon, dy = (t.latitude - g.latitude) * m.lat, dz = t.height - h
            worst = max(worst, (dx * dx + dy * dy + dz * dz).squareRoot())
            #expect(t.residuals.count == 3 && t.residuals.allSatisfy { $0 < 1e-6 })
        }
        print("RPC triangulation Marseille (3 views): max 3-D error \(worst) m")
        #expect(worst < 1e-3)
    }

    @Test("noisy observations: the residual reports the disagreement in pixels")
    func residuals() throws {
        let left = try RPCModel.load(image: try SampleData.path("s2p_reunion_pair/input_pair/img_01.tif"))
        let right = try RPCModel.load(image: try SampleData.path("s2p_reunion_pair/input_pair/img_02.tif"))
        let x = try Self.groundTruth(left)[10]
        let pl = left.projection(longitude: x.x, latitude: x.y, height: x.z)
        let pr = right.projection(longitude: x.x, latitude: x.y, height: x.z)
        // Moving one observation by (1, 1) px: the part along the epipolar line becomes a height
        // change, the part across it cannot be explained and is split between the two views, so
        // the residuals are non-zero and below the sqrt(2) px disturbance.
        let t = try RPCModel.triangulate([
            RPCObservation(model: left, column: pl.column + 1, row: pl.row + 1),
            RPCObservation(model: right, column: pr.column, row: pr.row),
        ])
        #expect(t.residuals.allSatisfy { $0 > 1e-3 && $0 < 2.0.squareRoot() }, "\(t.residuals)")
        #expect(throws: RPCError.notEnoughViews(1)) {
            try RPCModel.triangulate([RPCObservation(model: left, column: 1, row: 1)])
        }
    }
}
