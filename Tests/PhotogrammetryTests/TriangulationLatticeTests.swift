import Foundation
import Testing
@testable import Photogrammetry
import Raster

/// The lattice approximation of a tile's triangulation (`TriangulationLattice`) against the
/// exact one, at random matches over the tile and its disparity range.
@Suite("Triangulation through the checked lattice: within its bound of the exact triangulation")
struct TriangulationLatticeTests {
    /// Largest horizontal and vertical differences (metres) and residual difference (pixels)
    /// between the lattice and the exact triangulation over `samples` random matches.
    static func compare(_ r: TileRectification, samples: Int, seed: UInt64) -> (east: Double, up: Double, residual: Double,
                                                                                  interpolated: Int, exact: Int, triangulations: Int) {
        let lattice = TriangulationLattice(rectification: r)
        let reference = TriangulationLattice(rectification: r)
        var generator = SplitMix64(seed: seed)
        func uniform() -> Double { Double(generator.next() % 1_000_000) / 1_000_000 }
        let metresPerDegree = (111_320 * cos(r.reference.model.coefficients.latitudeOffset * .pi / 180), 111_132.0)
        var worst = (east: 0.0, up: 0.0, residual: 0.0)
        let d0 = Double(r.disparities.lowerBound), d1 = Double(r.disparities.upperBound)
        for _ in 0..<samples {
            let x = uniform() * Double(r.width - 1), y = uniform() * Double(r.height - 1), d = d0 + uniform() * (d1 - d0)
            guard let a = lattice.point(x: x, y: y, disparity: d), let e = reference.exact(x: x, y: y, disparity: d) else { continue }
            let de = (a.longitude - e.longitude) * metresPerDegree.0, dn = (a.latitude - e.latitude) * metresPerDegree.1
            worst.east = max(worst.east, (de * de + dn * dn).squareRoot())
            worst.up = max(worst.up, abs(a.height - e.height))
            worst.residual = max(worst.residual, abs(a.residual - e.residual))
        }
        return (worst.east, worst.up, worst.residual, lattice.interpolatedPoints, lattice.exactPoints, lattice.exactTriangulations)
    }

    @Test("Synthetic 2048-pixel pair (analytic RPC00B with perspective terms): errors within 5 mm, most matches interpolated")
    func synthetic() throws {
        let scene = try SyntheticLargeScene(size: 2048)
        func view(_ v: SyntheticLargeScene.View) -> StereoImage {
            StereoImage(path: "\(v)", width: 2048, height: 2048,
                        model: RPCModel(coefficients: scene.rpc(v), source: "synthetic", format: .memory))
        }
        let tile = Window(x: 700, y: 900, width: 512, height: 512)
        let r = try TileRectification.compute(reference: view(.left), secondary: view(.right), tile: tile,
                                              heights: SyntheticLargeScene.heightRange)
        let c = Self.compare(r, samples: 4000, seed: 3)
        // Bound 5 mm, checked at each cell's centre; the trilinear error peaks there, so
        // elsewhere it stays within the bound up to higher-order terms (2x slack).
        #expect(c.east <= 0.01 && c.up <= 0.01, "largest differences \(c.east) m horizontally, \(c.up) m vertically")
        #expect(c.residual <= 0.02, "residual difference \(c.residual) px")
        #expect(c.interpolated > 3 * c.exact, "\(c.interpolated) interpolated, \(c.exact) exact")
        // A dense tile's matches lie near one surface: every other pixel on a smooth disparity
        // field costs a few exact triangulations per lattice cell, not one per match.
        let dense = TriangulationLattice(rectification: r)
        let middle = Double(r.disparities.lowerBound + r.disparities.upperBound) / 2
        var matches = 0
        for y in stride(from: 0, to: r.height, by: 2) {
            for x in stride(from: 0, to: r.width, by: 2) {
                _ = dense.point(x: Double(x), y: Double(y), disparity: middle + 3 * sin(Double(x) / 40) * cos(Double(y) / 55))
                matches += 1
            }
        }
        #expect(dense.exactTriangulations * 20 < matches, "\(dense.exactTriangulations) exact triangulations for \(matches) matches")
    }

    @Test("Réunion tile (real Pléiades RPCs), after the row-offset correction: errors within 5 mm",
          .enabled(if: SampleData.root != nil, SampleData.skipMessage))
    func reunion() throws {
        let (a, b) = try RectificationData.reunion()
        let first = try TileRectification.compute(reference: a, secondary: b, tile: Window(x: 300, y: 300, width: 300, height: 300),
                                                  heights: RectificationData.reunionHeights)
        let r = first.correctingRowOffset(-0.8)
        let c = Self.compare(r, samples: 3000, seed: 5)
        #expect(c.east <= 0.01 && c.up <= 0.01, "largest differences \(c.east) m horizontally, \(c.up) m vertically")
        #expect(c.residual <= 0.02, "residual difference \(c.residual) px")
        #expect(c.interpolated > 3 * c.exact, "\(c.interpolated) interpolated, \(c.exact) exact")
    }

    @Test("A cell whose centre misses the bound is triangulated exactly: a 1e-9 m bound interpolates nothing")
    func tightBoundIsExact() throws {
        let scene = try SyntheticLargeScene(size: 1024)
        func view(_ v: SyntheticLargeScene.View) -> StereoImage {
            StereoImage(path: "\(v)", width: 1024, height: 1024,
                        model: RPCModel(coefficients: scene.rpc(v), source: "synthetic", format: .memory))
        }
        let r = try TileRectification.compute(reference: view(.left), secondary: view(.right), tile: Window(x: 100, y: 100, width: 200, height: 200),
                                              heights: SyntheticLargeScene.heightRange)
        let lattice = TriangulationLattice(rectification: r, tolerance: 1e-9, residualTolerance: 1e-12)
        for k in 0..<50 {
            let p = lattice.point(x: Double(3 * k), y: Double(2 * k), disparity: Double(r.disparities.lowerBound + k % 5))
            let e = lattice.exact(x: Double(3 * k), y: Double(2 * k), disparity: Double(r.disparities.lowerBound + k % 5))
            #expect(p?.height == e?.height && p?.longitude == e?.longitude)
        }
        #expect(lattice.interpolatedPoints == 0 && lattice.exactPoints == 50)
    }
}
