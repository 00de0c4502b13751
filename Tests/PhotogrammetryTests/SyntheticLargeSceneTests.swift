import Foundation
import Testing
@testable import Photogrammetry
import Raster

@Suite("Synthetic scene of any size: rendered through its RPCs, scored against its analytic truth")
struct SyntheticLargeSceneTests {
    @Test("The visible point of a pixel projects back to that pixel through the view's RPC, on the surface")
    func visiblePointsProjectBack() throws {
        let scene = try SyntheticLargeScene(size: 3000)
        for view in SyntheticLargeScene.View.allCases {
            let model = RPCModel(coefficients: scene.rpc(view), source: "synthetic", format: .memory)
            let terms = scene.terms(view)
            var generator = SplitMix64(seed: 17)
            for _ in 0..<200 {
                let column = Double(generator.next() % 3000), row = Double(generator.next() % 3000)
                let p = scene.visiblePoint(column: column, row: row, terms: terms)
                let lon = SyntheticLargeScene.longitude + p.east / SyntheticStereoScene.metresPerDegreeLongitude
                let lat = SyntheticLargeScene.latitude + p.north / SyntheticStereoScene.metresPerDegreeLatitude
                let back = model.projection(longitude: lon, latitude: lat, height: p.height)
                #expect(abs(back.column - column) < 1e-6 && abs(back.row - row) < 1e-6, "\(view) pixel \(column), \(row)")
                // On the surface (within the bisection's last step), or on a wall (below the roof).
                let surface = SyntheticLargeScene.surfaceHeight(east: p.east, north: p.north)
                #expect(p.height <= surface + 0.01, "\(view) pixel \(column), \(row): \(p.height) above the surface \(surface)")
                #expect(SyntheticLargeScene.heightRange.contains(p.height))
            }
        }
    }

    @Test("Rendered 640x640 pair, DSM without a height prior: median within 0.1 m and NMAD within 0.35 m of the truth, 85 % valid")
    func dsmOfARenderedPair() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let scene = try SyntheticLargeScene(size: 640)
        try scene.write(.left, to: folder + "/left.tif")
        try scene.write(.right, to: folder + "/right.tif")
        let left = try Dataset(path: folder + "/left.tif")
        #expect(left.width == 640 && left.height == 640 && left.metadata(domain: "RPC").count >= 10)
        var c = DSMConfiguration(reference: folder + "/left.tif", secondary: folder + "/right.tif", heights: .measured,
                                 output: folder + "/dsm.tif")
        c.threads = 2
        _ = try DSMPipeline.run(configuration: c)
        let s = try scene.score(dsm: c.output)
        // Measured on the 2000x2000 scene (release): median 0.004 m, NMAD 0.138 m, 96.8 % valid.
        #expect(abs(s.median) < 0.1 && s.nmad < 0.35, "median \(s.median) m, NMAD \(s.nmad) m")
        #expect(s.validShare > 0.85, "valid \(s.validShare)")
        #expect(s.cells > 100_000, "\(s.cells) cells scored")
    }

    @Test("Sizes outside 64...200000 are refused")
    func sizes() {
        #expect(throws: RasterError.self) { try SyntheticLargeScene(size: 10) }
        #expect(throws: RasterError.self) { try SyntheticLargeScene(size: 1_000_000) }
    }
}
