import Foundation
import Photogrammetry
import Testing

/// Fitting an RPC to a 3-D grid sampled from a real model: residuals under 0.01 px (the issue's
/// bar), on the grid and on independent points between grid nodes.
@Suite("RPC fitting", .enabled(if: SampleData.root != nil, SampleData.skipMessage))
struct RPCFittingTests {
    static let dimap = "rpc_formats/shareloc/RPC_PHR1B_P_201709281038393_SEN_PRG_FC_178609-001.XML"

    /// Max image distance between `fitted` and `reference` at points off the fitting grid.
    static func checkPoints(
        _ fitted: RPCModel, _ reference: RPCModel, cols: ClosedRange<Double>, rows: ClosedRange<Double>,
        heights: ClosedRange<Double>, transform: (SIMD2<Double>) -> SIMD2<Double> = { $0 }
    ) throws -> Double {
        var worst = 0.0
        var state: UInt64 = 12345
        func uniform() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        for _ in 0..<500 {
            let c = cols.lowerBound + uniform() * (cols.upperBound - cols.lowerBound)
            let r = rows.lowerBound + uniform() * (rows.upperBound - rows.lowerBound)
            let h = heights.lowerBound + uniform() * (heights.upperBound - heights.lowerBound)
            let g = try reference.localization(column: c, row: r, height: h)
            let p = fitted.projection(longitude: g.longitude, latitude: g.latitude, height: h)
            let t = transform(SIMD2(c, r))
            worst = max(worst, ((p.column - t.x) * (p.column - t.x) + (p.row - t.y) * (p.row - t.y)).squareRoot())
        }
        return worst
    }

    @Test("refit the full 40000 x 22940 Pléiades scene over its validity domain")
    func fullScene() throws {
        let model = try RPCModel(contentsOf: try SampleData.path(Self.dimap))
        let d = model.imageDomain, h = model.groundDomain.height
        let grid = try model.correspondenceGrid(columnRange: d.column, rowRange: d.row, heightRange: h)
        let (fitted, report) = try RPCModel.fit(ground: grid.ground, image: grid.image)
        let independent = try Self.checkPoints(fitted, model, cols: d.column, rows: d.row, heights: h)
        print("RPC fit full scene: \(report); independent points max \(independent) px")
        #expect(report.sampleCount == 21 * 21 * 11)
        #expect(report.maxResidual < 0.01 && report.rmsResidual <= report.maxResidual)
        #expect(independent < 0.01)
    }

    @Test("re-express a model for a 2x downsampled crop (the epipolar/rescaled image use case)")
    func cropAndRescale() throws {
        let model = try RPCModel.load(image: try SampleData.path("s2p_reunion_pair/input_pair/img_01.tif"))
        let cols = -0.5...1023.5, rows = -0.5...1023.5, heights = 2000.0...2600.0
        // New image: the crop starting at (100, 200), downsampled by 2 (pixel centres map
        // x' = (x - 100 + 0.5) / 2 - 0.5).
        let transform: (SIMD2<Double>) -> SIMD2<Double> = { p in (p - SIMD2(100, 200) + 0.5) / 2 - 0.5 }
        let (fitted, report) = try model.refitted(columnRange: cols, rowRange: rows, heightRange: heights, transform: transform)
        let independent = try Self.checkPoints(fitted, model, cols: cols, rows: rows, heights: heights, transform: transform)
        print("RPC fit crop+rescale: \(report); independent points max \(independent) px")
        #expect(report.maxResidual < 0.01)
        #expect(independent < 0.01)
        // The crop + 2x downsampling is also exact in closed form (offsets and scales only): the
        // fit agrees with it to the same 0.01 px.
        let exact = model.cropped(column: 100, row: 200).rescaled(by: 2)
        var exactVsFit = 0.0, exactVsTransform = 0.0
        for (c, r, h) in [(0.0, 0.0, 2000.0), (1023.0, 17.0, 2600.0), (511.5, 700.25, 2300.0), (3.0, 1000.0, 2150.0)] {
            let g = try model.localization(column: c, row: r, height: h)
            let e = exact.projection(longitude: g.longitude, latitude: g.latitude, height: h)
            let f = fitted.projection(longitude: g.longitude, latitude: g.latitude, height: h)
            let t = transform(SIMD2(c, r))
            exactVsFit = max(exactVsFit, abs(e.column - f.column), abs(e.row - f.row))
            // Exact up to the 1e-4 px localisation tolerance.
            exactVsTransform = max(exactVsTransform, abs(e.column - t.x), abs(e.row - t.y))
        }
        #expect(exactVsTransform < 1e-4, "\(exactVsTransform)")
        #expect(exactVsFit < 0.01, "\(exactVsFit)")
        // Localisation of the fitted model (no direct model: approximate + Newton) round-trips.
        let g = try fitted.localization(column: 200, row: 150, height: 2300)
        let p = fitted.projection(longitude: g.longitude, latitude: g.latitude, height: 2300)
        #expect(abs(p.column - 200) < 1e-4 && abs(p.row - 150) < 1e-4)
    }

    @Test("too few or degenerate samples are rejected")
    func degenerate() throws {
        #expect(throws: RPCError.self) {
            try RPCModel.fit(ground: [SIMD3(1, 2, 3)], image: [SIMD2(4, 5)])
        }
        // 50 copies of one point: rank-deficient.
        #expect(throws: RPCError.self) {
            try RPCModel.fit(ground: Array(repeating: SIMD3(1, 2, 3), count: 50), image: Array(repeating: SIMD2(4, 5), count: 50),
                             options: RPCFitOptions(regularization: 0))
        }
    }
}
