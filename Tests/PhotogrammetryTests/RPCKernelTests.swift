import Foundation
import Photogrammetry
import Testing

/// The evaluation kernel, Jacobians, batches and fitting on synthetic models (no sample data).
@Suite("RPC kernel (synthetic)")
struct RPCKernelTests {
    /// A random but well-behaved rational map: identity-like numerators, denominators near 1.
    static func randomMap(seed: UInt64) -> RPCRationalMap {
        var state = seed
        func r(_ scale: Double) -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return (Double(state >> 11) / Double(1 << 53) * 2 - 1) * scale
        }
        var pu = (0..<20).map { _ in r(0.01) }, pv = (0..<20).map { _ in r(0.01) }
        var qu = (0..<20).map { _ in r(0.001) }, qv = (0..<20).map { _ in r(0.001) }
        pu[1] += 1; pu[3] += 0.05; pv[2] -= 1; qu[0] = 1; qv[0] = 1
        return RPCRationalMap(
            uNumerator: pu, uDenominator: qu, vNumerator: pv, vDenominator: qv,
            inputOffset: SIMD3(5.16, 44.23, 500), inputScale: SIMD3(0.05, 0.04, 400),
            outputOffset: SIMD2(5000, 4000), outputScale: SIMD2(5000, 4000))
    }

    static func model(_ map: RPCRationalMap) -> RPCModel {
        let c = map.coefficients
        let rpc = RPCCoefficients(
            lineOffset: map.outputOffset.y, sampleOffset: map.outputOffset.x, latitudeOffset: map.inputOffset.y,
            longitudeOffset: map.inputOffset.x, heightOffset: map.inputOffset.z, lineScale: map.outputScale.y,
            sampleScale: map.outputScale.x, latitudeScale: map.inputScale.y, longitudeScale: map.inputScale.x,
            heightScale: map.inputScale.z, lineNumerator: Array(c[40..<60]), lineDenominator: Array(c[60..<80]),
            sampleNumerator: Array(c[0..<20]), sampleDenominator: Array(c[20..<40]))
        return RPCModel(coefficients: rpc, source: "synthetic", format: .memory)
    }

    @Test("analytic Jacobian matches central differences", arguments: [1, 2, 3] as [UInt64])
    func jacobian(_ seed: UInt64) {
        let map = Self.randomMap(seed: seed)
        let x = SIMD3(5.17, 44.21, 800.0), step = SIMD3(1e-7, 1e-7, 1e-2)
        let f = map.valueAndJacobian(x.x, x.y, x.z)
        for k in 0..<3 {
            var e = SIMD3<Double>.zero
            e[k] = step[k]
            let a = map(x.x + e.x, x.y + e.y, x.z + e.z), b = map(x.x - e.x, x.y - e.y, x.z - e.z)
            let du = (a.u - b.u) / (2 * step[k]), dv = (a.v - b.v) / (2 * step[k])
            // Central differences are exact to O(step²) (cubic terms) plus rounding: 1e-6 relative.
            #expect(abs(du - f.du[k]) <= 1e-6 * max(1, abs(du)), "du/dx\(k)")
            #expect(abs(dv - f.dv[k]) <= 1e-6 * max(1, abs(dv)), "dv/dx\(k)")
        }
        let v = map(x.x, x.y, x.z)
        #expect(v.u == f.u || abs(v.u - f.u) < 1e-9)
    }

    @Test("batch over every remainder of 4 equals the scalar API", arguments: [0, 1, 2, 3, 4, 5, 7, 9, 17] as [Int])
    func batchRemainders(_ n: Int) throws {
        let model = Self.model(Self.randomMap(seed: 9))
        let lons = (0..<n).map { 5.12 + 0.01 * Double($0) }, lats = (0..<n).map { 44.25 - 0.007 * Double($0) }
        let hs = (0..<n).map { 100 + 50 * Double($0) }
        let p = model.project(longitudes: lons, latitudes: lats, heights: hs)
        #expect(p.columns.count == n && p.rows.count == n)
        for i in 0..<n {
            let s = model.projection(longitude: lons[i], latitude: lats[i], height: hs[i])
            #expect(abs(s.column - p.columns[i]) < 1e-9 && abs(s.row - p.rows[i]) < 1e-9)
        }
        let g = try model.localize(columns: p.columns, rows: p.rows, heights: hs)
        for i in 0..<n {
            // 1e-4 px at 2 px per 1e-5 degree: 5e-10 degree.
            #expect(abs(g.longitudes[i] - lons[i]) < 1e-9 && abs(g.latitudes[i] - lats[i]) < 1e-9)
        }
    }

    @Test("fitting recovers a rational map sampled on a grid")
    func fitRecovers() throws {
        let map = Self.randomMap(seed: 4)
        var inputs: [SIMD3<Double>] = [], outputs: [SIMD2<Double>] = []
        for k in 0..<6 {
            for j in 0..<12 {
                for i in 0..<12 {
                    let x = map.inputOffset + SIMD3(Double(i) / 5.5 - 1, Double(j) / 5.5 - 1, Double(k) / 2.5 - 1) * map.inputScale
                    let y = map(x.x, x.y, x.z)
                    inputs.append(x)
                    outputs.append(SIMD2(y.u, y.v))
                }
            }
        }
        // An exact rational model of the same form: without regularisation only rounding remains
        // (outputs up to 10000 px: 1e-6 px is 1e-10 relative).
        let (fitted, report) = try RPCRationalMap.fit(inputs: inputs, outputs: outputs, options: RPCFitOptions(regularization: 0))
        #expect(report.maxResidual < 1e-6, "\(report)")
        // The default Tikhonov weight biases the fit by far less than the 0.01 px bar.
        let regularised = try RPCRationalMap.fit(inputs: inputs, outputs: outputs).report
        #expect(regularised.maxResidual < 1e-4, "\(regularised)")
        let x = map.inputOffset + SIMD3(0.31, -0.47, 0.13) * map.inputScale
        let a = fitted(x.x, x.y, x.z), b = map(x.x, x.y, x.z)
        #expect(abs(a.u - b.u) < 1e-6 && abs(a.v - b.v) < 1e-6)
    }

    @Test("the bundled sample's RPC localises and projects consistently")
    func sampleScene() throws {
        let model = RPCModel(coefficients: SampleScene.rpc, source: "sample", format: .memory)
        for (c, r, h) in [(0.0, 0.0, 0.0), (95.0, 95.0, 1000.0), (47.5, 12.25, 480.0)] {
            let g = try model.localization(column: c, row: r, height: h)
            let p = model.projection(longitude: g.longitude, latitude: g.latitude, height: h)
            #expect(abs(p.column - c) < 1e-4 && abs(p.row - r) < 1e-4)
        }
        // Cropping shifts projections exactly.
        let crop = model.cropped(column: 10, row: 20)
        let a = model.projection(longitude: 5.163, latitude: 44.229, height: 300)
        let b = crop.projection(longitude: 5.163, latitude: 44.229, height: 300)
        #expect(abs(a.column - 10 - b.column) < 1e-9 && abs(a.row - 20 - b.row) < 1e-9)
    }
}
