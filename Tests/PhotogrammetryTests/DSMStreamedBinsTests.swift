import Foundation
import Testing
@testable import Photogrammetry
import Raster

@Suite("Streamed bins and parallel rasterisation: the serial writer's files, bit for bit")
struct DSMStreamedBinsTests {
    /// Band `band` of a raster as bit patterns (NaN cells compare too).
    private func bits(_ path: String, band: Int = 0) throws -> [UInt32] {
        let d = try Dataset(path: path)
        let image = try d.read(Float.self, window: Window(x: 0, y: 0, width: d.width, height: d.height))
        var out: [UInt32] = []
        for j in 0..<image.height { for i in 0..<image.width { out.append(image[i, j, band].bitPattern) } }
        return out
    }

    @Test("Points binned as the jobs finish (out of order, a job redone, a job emptied), rasterised by 3 workers, equal the one-pass writers")
    func streamedEqualsSerial() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let grid = try DSMGrid(originX: 1000, originY: 5000, resolution: 0.5, width: 90, height: 70, epsg: 32740)
        var generator = SplitMix64(seed: 11)
        let n = 30_000
        var x = [Double](), y = [Double](), z = [Double](), confidences = [Float]()
        for _ in 0..<n {
            x.append(998 + Double(generator.next() % 100_000) / 100_000 * 49)
            y.append(4963 + Double(generator.next() % 100_000) / 100_000 * 39)
            let h = 100 + Double(generator.next() % 1_000_000) / 1e4
            z.append(generator.next() % 40 == 0 ? .nan : h)
            confidences.append(Float(generator.next() % 1000) / 1000)
        }
        for i in 0..<n where hypot(x[i] - 1020, y[i] - 4990) < 1.5 { z[i] = .nan }
        // Jobs 0...4 hold the cloud's ranges; job 5's points are appended, then the job is emptied.
        let bounds = [0, 7000, 13_000, 20_000, 26_000, n]
        let cloud = PointCloud(x: x, y: y, z: z, epsg: 32740)
        for (tileSize, maxHoleArea, statistic) in [(16, 20, CellStatistic.mean), (32, 3, .median), (512, 20, .median), (7, 0, .mean)] {
            let parameters = RasterizationParameters(statistic: statistic, maxHoleArea: maxHoleArea, tileSize: tileSize)
            let tiling = try rasterizationTiling(grid: grid, parameters: parameters)
            let spill = try PointSpill(besideOutput: folder + "/dsm.tif", grid: grid, jobs: 6, streamBins: tiling, keepsChunks: false)
            defer { spill.remove() }
            try spill.append(job: 2, pair: 0, x: [1010, 1011], y: [4990, 4991], z: [5, 6], confidences: [0, 0])  // redone below
            try spill.append(job: 5, pair: 0, x: Array(x[0..<500]), y: Array(y[0..<500]), z: [Double](repeating: 999, count: 500),
                             confidences: [Float](repeating: 1, count: 500))
            spill.clearJob(5)
            for job in [3, 0, 4, 2, 1] {
                let r = bounds[job]..<bounds[job + 1]
                try spill.append(job: job, pair: 0, x: Array(x[r]), y: Array(y[r]), z: Array(z[r]), confidences: Array(confidences[r]))
            }
            let expected = folder + "/expected.tif", actual = folder + "/actual.tif"
            let c1 = folder + "/c1.tif", c2 = folder + "/c2.tif"
            let a = try writeDSM(cloud, grid: grid, to: expected, parameters: parameters, options: .geoTIFF)
            try writeConfidence(PointCloud(x: x, y: y, z: confidences.map(Double.init), epsg: 32740), grid: grid, to: c1,
                                tileSize: tileSize, options: .geoTIFF)
            try spill.binByTile(tiling)  // a no-op: already binned
            let b = try writeDSMTiles(grid: grid, to: actual, confidence: c2, parameters: parameters, datum: .ellipsoid,
                                      options: .geoTIFF, workers: 3,
                                      points: { tile in
                                          let bin = try spill.bin(tile.index)
                                          return TilePointSet(cloud: bin.cloud, confidences: bin.confidences)
                                      },
                                      done: { spill.dropBin($0) })
            let label = "tile \(tileSize), halo \(maxHoleArea), \(statistic)"
            #expect(a == b, "\(label)")
            #expect(try bits(expected) == bits(actual), "\(label)")
            #expect(try bits(c1) == bits(c2) && bits(c1, band: 1) == bits(c2, band: 1), "\(label)")
            let left = try FileManager.default.contentsOfDirectory(atPath: spill.folder).filter { $0.hasPrefix("bin-") }
            #expect(left.isEmpty, "every bin dropped once written (\(label)): \(left.prefix(3))")
        }
    }

    @Test("A failing tile stops the parallel writer and leaves no output")
    func failureLeavesNothing() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let grid = try DSMGrid(originX: 0, originY: 100, resolution: 1, width: 64, height: 64, epsg: 32631)
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            _ = try writeDSMTiles(grid: grid, to: folder + "/dsm.tif", confidence: folder + "/c.tif",
                                  parameters: RasterizationParameters(tileSize: 16), datum: .ellipsoid, workers: 2) { tile in
                if tile.index == 5 { throw Boom() }
                return TilePointSet(cloud: PointCloud(x: [], y: [], z: [], epsg: 32631), confidences: [])
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty, "no output, no staging file")
    }
}
