import Foundation
import Photogrammetry
import Raster
import Testing

/// Rasterisation against s2p's plyflatten reference (`s2p_units/expected_output/plyflatten/
/// dsm_40cm.tiff`, made by s2p's `tests/rasterization_test.py`:
/// `plyflatten_from_plyfiles_list([cloud.ply], resolution=0.4)`, band 0).
///
/// Tolerances: `.plyflattenMean` replays plyflatten's Float32 running average in point order,
/// so it must be bit-identical (0 m). `.mean` sums in Double and rounds once, so it may differ
/// from the Float32 running average by rounding only: at most 1 ulp of Float32 at heights in
/// [2048, 4096) m, i.e. 2^-12 = 2.44e-4 m (measured: 19 cells differ, by exactly that).
@Suite("Rasterize: s2p plyflatten reference", .enabled(if: SampleData.root != nil, SampleData.skipMessage))
struct RasterizeReferenceTests {
    static let cloudPath = "s2p_units/input_ply/cloud.ply"
    static let referencePath = "s2p_units/expected_output/plyflatten/dsm_40cm.tiff"

    struct Comparison {
        var bothValid = 0, onlyOurs = 0, onlyReference = 0, maxDiff = 0.0, sumDiff = 0.0, differing = 0
        var meanDiff: Double { bothValid > 0 ? sumDiff / Double(bothValid) : 0 }
    }

    static func compare(_ ours: ImageBuffer<Float>, _ reference: ImageBuffer<Float>) -> Comparison {
        var c = Comparison()
        for y in 0..<reference.height {
            for x in 0..<reference.width {
                let a = ours[x, y], b = reference[x, y]
                switch (a.isNaN, b.isNaN) {
                case (false, false):
                    let d = abs(Double(a) - Double(b))
                    c.bothValid += 1
                    c.sumDiff += d
                    c.maxDiff = max(c.maxDiff, d)
                    if d > 0 { c.differing += 1 }
                case (false, true): c.onlyOurs += 1
                case (true, false): c.onlyReference += 1
                case (true, true): break
                }
            }
        }
        return c
    }

    static func load() throws -> (cloud: PointCloud, reference: Dataset, heights: ImageBuffer<Float>) {
        let cloud = try PLYReader.read(path: try SampleData.path(cloudPath))
        let reference = try Dataset(path: try SampleData.path(referencePath))
        return (cloud, reference, try reference.readAll(Float.self))
    }

    @Test("grid: plyflatten's origin, size and CRS")
    func grid() throws {
        let (cloud, reference, _) = try Self.load()
        #expect(cloud.count == 120_764)
        #expect(cloud.epsg == 32740)  // "comment projection: CRS epsg:32740"
        let grid = try DSMGrid.plyflatten(cloud: cloud, resolution: 0.4)
        #expect(grid.width == reference.width && grid.height == reference.height)
        #expect(grid.width == 456 && grid.height == 477)
        let expected = try #require(reference.geoTransform).array
        // Same Double operations as numpy: the geotransform is identical, not just close.
        #expect(grid.geoTransform.array == expected, "\(grid.geoTransform) vs \(expected)")
        #expect(reference.spatialReference?.epsg == grid.epsg)
    }

    @Test("plyflatten mode is bit-identical to the reference; mean within 1 Float32 ulp; median = mean (<= 2 points per cell)")
    func heights() throws {
        let (cloud, _, expected) = try Self.load()
        let grid = try DSMGrid.plyflatten(cloud: cloud, resolution: 0.4)

        let plyflatten = rasterizeCloud(cloud, grid: grid, window: grid.window, statistic: .plyflattenMean)
        let p = Self.compare(plyflatten.heights, expected)
        #expect(p.bothValid == 120_601 && p.onlyOurs == 0 && p.onlyReference == 0)
        #expect(p.maxDiff == 0, "plyflatten mode: \(p.differing) cells differ, max \(p.maxDiff)")
        #expect(plyflatten.counts.storage.reduce(0, +) == UInt32(cloud.count), "every point lies in the grid")

        let mean = rasterizeCloud(cloud, grid: grid, window: grid.window, statistic: .mean)
        let m = Self.compare(mean.heights, expected)
        #expect(m.bothValid == 120_601 && m.onlyOurs == 0 && m.onlyReference == 0)
        #expect(m.maxDiff <= 0x1p-12, "mean: max |diff| \(m.maxDiff) m over \(m.differing) cells")
        #expect(mean.counts == plyflatten.counts)

        // No cell holds more than 2 points here, and the median of 2 is their mean.
        let median = rasterizeCloud(cloud, grid: grid, window: grid.window, statistic: .median)
        #expect(median.counts.storage.max() == 2)
        #expect(identicalHeights(median.heights, mean.heights))
    }

    @Test("the written COG (tiled, plyflatten mode) reads back equal to the reference")
    func writtenCOG() throws {
        let (cloud, reference, expected) = try Self.load()
        let grid = try DSMGrid.plyflatten(cloud: cloud, resolution: 0.4)
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let path = folder + "/dsm.tif"
        let summary = try writeDSM(cloud, grid: grid, to: path,
                                   parameters: RasterizationParameters(statistic: .plyflattenMean, tileSize: 100))
        #expect(summary.validCells == 120_601 && summary.cellsWithPoints == 120_601)
        let written = try Dataset(path: path)
        #expect(written.geoTransform == reference.geoTransform)
        let c = Self.compare(try written.readAll(Float.self), expected)
        #expect(c.bothValid == 120_601 && c.onlyOurs == 0 && c.onlyReference == 0 && c.maxDiff == 0)
    }

    @Test("on s2p's cloud, tiled median with hole filling equals the one-shot run", arguments: [37, 128])
    func tiledOnRealCloud(tileSize: Int) throws {
        let (cloud, _, _) = try Self.load()
        let grid = try DSMGrid.plyflatten(cloud: cloud, resolution: 0.4)
        let parameters = RasterizationParameters(statistic: .median, maxHoleArea: 10, tileSize: tileSize)
        let whole = rasterizeDSM(cloud, grid: grid, parameters: parameters)
        var assembled = ImageBuffer<Float>(width: grid.width, height: grid.height, filledWith: -1)
        try rasterizeTiled(cloud, grid: grid, parameters: parameters) { tile in
            for y in 0..<tile.window.height {
                for x in 0..<tile.window.width { assembled[tile.window.x + x, tile.window.y + y] = tile.heights[x, y] }
            }
        }
        #expect(differingCells(assembled, whole.heights) == 0)
        // The sparse 0.4 m cloud leaves many small holes: filling takes the valid cells from
        // 120 601 to 192 570 (measured); the large empty areas stay NaN.
        let valid = whole.heights.storage.filter { !$0.isNaN }.count
        #expect(valid == 192_570)
    }
}
