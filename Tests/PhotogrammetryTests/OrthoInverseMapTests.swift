import Foundation
import Testing
@testable import Photogrammetry
import Raster

@Suite("Orthorectification: coarse inverse map on a real projection", .enabled(if: SampleData.root != nil, SampleData.skipMessage))
struct OrthoInverseMapTests {
    /// The Ventoux crop's ground-to-sensor map on SRTM + EGM96 (a bilinear DEM with kinks every
    /// 3", about 65 x 92 m, i.e. every 130-185 output pixels): the 16 px coarse grid against the exact
    /// map at every pixel of a 256x256 tile. Cells crossing a kink are computed exactly; in the
    /// interpolated ones every pixel, not only the nine check points, stays within the 0.01 px
    /// tolerance (the check points accept half of it: a kink passing between them gave 0.0124 px
    /// with the full tolerance there, 0.017 px with five check points).
    @Test("SRTM tile: every interpolated pixel within 0.01 px of the exact map; kinked cells exact")
    func srtm() throws {
        let image = try SampleData.path(OrthoData.ventoux)
        let model = try RPCModel.load(image: image, model: try SampleData.path(OrthoData.ventouxModel))
        let geoid = try Geoid(path: try SampleData.path(OrthoData.egm96))
        let ortho = try Orthorectifier(image: image, model: model, heights: .dem(path: try SampleData.path(OrthoData.srtm), geoid: geoid),
                                       resolution: 0.5)
        let mapper = try GroundToSensor(grid: ortho.grid, model: model, heights: ortho.heights)
        let tile = Window(x: 128, y: 128, width: 256, height: 256)
        try mapper.prepare(x0: tile.x, y0: tile.y, width: tile.width, height: tile.height)
        let exact: ([Double], [Double]) throws -> (columns: [Double], rows: [Double]) = { xs, ys in
            try mapper.map(columns: xs.map { $0 + Double(tile.x) }, rows: ys.map { $0 + Double(tile.y) })
        }
        let coarse = try coarseInverseMap(width: tile.width, height: tile.height, step: 16, tolerance: 0.01, exact: exact)
        let fine = try coarseInverseMap(width: tile.width, height: tile.height, step: 1, tolerance: 0.01, exact: exact)
        var worst = 0.0, exactPixels = 0
        for k in fine.columns.indices {
            let e = hypot(coarse.columns[k] - fine.columns[k], coarse.rows[k] - fine.rows[k])
            if e == 0 { exactPixels += 1 }
            worst = max(worst, e)
        }
        let s = coarse.statistics
        print("SRTM tile: \(s.interpolatedCells) of \(s.cells) cells interpolated, \(exactPixels) exact pixels, worst pixel \(worst) px")
        #expect(s.interpolatedCells < s.cells, "a 256 px tile crosses SRTM sample lines")
        #expect(s.interpolatedCells > s.cells / 2)
        #expect(s.maxCheckedError <= 0.005)
        #expect(worst < 0.01, "largest error \(worst) px")
    }
}
