import Foundation
import Synchronization
import Testing
@testable import Photogrammetry
import Raster

/// The heights of band `band` of a raster as bit patterns (NaN cells compare too).
private func bitPatterns(_ path: String, band: Int = 0) throws -> [UInt32] {
    let d = try Dataset(path: path)
    let image = try d.read(Float.self, window: Window(x: 0, y: 0, width: d.width, height: d.height))
    var out: [UInt32] = []
    for j in 0..<image.height { for i in 0..<image.width { out.append(image[i, j, band].bitPattern) } }
    return out
}

/// The entries of `folder` left by a run (the spill folder is hidden: `.dsm.tif.points-*`).
private func spillFolders(in folder: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.contains(".points-") }
}

@Suite("Out-of-core points: spilled per output tile, rasterised as in memory")
struct PointSpillTests {
    @Test("Binned spill files rasterise to the in-memory DSM bit for bit (mean: order-sensitive), over tile sizes and halos")
    func binsEqualInMemory() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let grid = try DSMGrid(originX: 1000, originY: 5000, resolution: 0.5, width: 90, height: 70, epsg: 32740)
        // A deterministic cloud: several points a cell, some outside the grid, some NaN heights.
        var generator = SplitMix64(seed: 7)  // MatchingTestSupport.swift
        let n = 40_000
        var x = [Double](), y = [Double](), z = [Double](), confidences = [Float]()
        for _ in 0..<n {
            x.append(998 + Double(generator.next() % 100_000) / 100_000 * 49)
            y.append(4963 + Double(generator.next() % 100_000) / 100_000 * 39)
            let h = 100 + Double(generator.next() % 1_000_000) / 1e4
            z.append(generator.next() % 50 == 0 ? .nan : h)
            confidences.append(Float(generator.next() % 1000) / 1000)
        }
        // Holes for the filling to cross tile edges: drop the points of two discs.
        for i in 0..<n where hypot(x[i] - 1020, y[i] - 4990) < 1.5 || hypot(x[i] - 1008.1, y[i] - 4975.3) < 0.8 { z[i] = .nan }
        let cloud = PointCloud(x: x, y: y, z: z, epsg: 32740)
        for (tileSize, maxHoleArea) in [(16, 20), (32, 3), (512, 20), (7, 0)] {
            for statistic in [CellStatistic.mean, .median] {
                let parameters = RasterizationParameters(statistic: statistic, maxHoleArea: maxHoleArea, tileSize: tileSize)
                let spill = try PointSpill(besideOutput: folder + "/dsm.tif", grid: grid, jobs: 5)
                defer { spill.remove() }
                // Five chunks appended out of order; job 2 replaced by a second append (a redone tile).
                let bounds = [0, 9000, 17_000, 25_000, 33_000, n]
                try spill.append(job: 2, pair: 0, x: [1, 2], y: [3, 4], z: [5, 6], confidences: [0, 0])
                for job in [3, 0, 4, 2, 1] {
                    let r = bounds[job]..<bounds[job + 1]
                    try spill.append(job: job, pair: 0, x: Array(x[r]), y: Array(y[r]), z: Array(z[r]), confidences: Array(confidences[r]))
                }
                let expected = folder + "/expected.tif", actual = folder + "/actual.tif"
                let a = try writeDSM(cloud, grid: grid, to: expected, parameters: parameters, options: .geoTIFF)
                try spill.binByTile(try rasterizationTiling(grid: grid, parameters: parameters))
                let b = try writeDSM(grid: grid, to: actual, parameters: parameters, options: .geoTIFF) { tile in
                    (try spill.bin(tile.index).cloud, nil)
                }
                #expect(a == b, "tile \(tileSize), halo \(maxHoleArea), \(statistic)")
                #expect(try bitPatterns(expected) == bitPatterns(actual), "tile \(tileSize), halo \(maxHoleArea), \(statistic)")
                #expect(a.validCells > 0 && a.validCells < grid.width * grid.height, "some cells empty, some not")
                // The confidence raster from the same bins.
                let c1 = folder + "/c1.tif", c2 = folder + "/c2.tif"
                try writeConfidence(PointCloud(x: x, y: y, z: confidences.map(Double.init), epsg: 32740), grid: grid, to: c1,
                                    tileSize: tileSize, options: .geoTIFF)
                try writeConfidence(grid: grid, to: c2, tileSize: tileSize, options: .geoTIFF) { tile in
                    let bin = try spill.bin(tile.index)
                    return (PointCloud(x: bin.cloud.x, y: bin.cloud.y, z: bin.confidences.map(Double.init), epsg: 32740), nil)
                }
                #expect(try bitPatterns(c1) == bitPatterns(c2) && bitPatterns(c1, band: 1) == bitPatterns(c2, band: 1))
            }
        }
        #expect(try spillFolders(in: folder).isEmpty, "every spill folder removed")
    }
}

@Suite("dsm-run dsm out of core: same outputs as in memory, no temporary folder left",
       .enabled(if: SampleData.root != nil, SampleData.skipMessage))
struct DSMOutOfCoreTests {
    /// The 64x32 Réunion ROI of `DSMOutputsTests` (two 32-pixel matching tiles), rasterised in
    /// 16-cell output tiles with a 20-cell halo, so points land in several bins.
    static func configuration(_ folder: String, spills: Bool) throws -> DSMConfiguration {
        var c = try DSMPipelineData.configuration(output: folder + "/dsm.tif", roi: Window(x: 500, y: 500, width: 64, height: 32))
        c.tileSize = 32
        c.rasterization = RasterizationParameters(statistic: .mean, maxHoleArea: 20, tileSize: 16)
        c.pointCloud = folder + "/cloud.las"
        c.confidence = folder + "/conf.tif"
        c.spillsPoints = spills
        return c
    }

    @Test("DSM, confidence and LAS of the spilled run equal the in-memory run's bit for bit; the spill folder is removed")
    func sameOutputs() throws {
        let memory = try makeTemporaryFolder(), disk = try makeTemporaryFolder()
        defer { removeFolder(memory); removeFolder(disk) }
        let a = try DSMPipeline.run(configuration: try Self.configuration(memory, spills: false))
        let b = try DSMPipeline.run(configuration: try Self.configuration(disk, spills: true))
        #expect(a.points == b.points && a.points > 0)
        #expect(a.dsm == b.dsm)
        #expect(a.dsm.grid.width > 16 && a.dsm.grid.height > 16, "several output tiles: \(a.dsm.grid.width)x\(a.dsm.grid.height)")
        #expect(try bitPatterns(memory + "/dsm.tif") == bitPatterns(disk + "/dsm.tif"))
        #expect(try bitPatterns(memory + "/conf.tif") == bitPatterns(disk + "/conf.tif"))
        #expect(try bitPatterns(memory + "/conf.tif", band: 1) == bitPatterns(disk + "/conf.tif", band: 1))
        #expect(FileManager.default.contents(atPath: memory + "/cloud.las") == FileManager.default.contents(atPath: disk + "/cloud.las"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: disk).sorted() == ["cloud.las", "conf.tif", "dsm.tif"])
    }

    @Test("A run failing after its points were spilled (the confidence folder gone) or cancelled mid-way leaves nothing")
    func cleanOnFailure() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        var c = try Self.configuration(folder, spills: true)
        // The confidence raster's folder disappears once both tiles are matched and spilled:
        // the final write fails, after the matching.
        let sub = folder + "/confidence"
        try FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: false)
        c.confidence = sub + "/conf.tif"
        let matched = Atomic<Int>(0)
        #expect(throws: (any Error).self) {
            try DSMPipeline.run(configuration: c, progress: { p in
                matched.store(p.tilesDone, ordering: .relaxed)
                if p.tilesDone == p.tilesTotal { try? FileManager.default.removeItem(atPath: sub) }
            })
        }
        #expect(matched.load(ordering: .relaxed) == 2, "both tiles matched and spilled before the failure")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)

        var bad = try Self.configuration(folder, spills: true)
        bad.rasterization.tileSize = 0
        #expect(throws: DSMPipelineError.self, "an output tile size below 1 is refused before any work") {
            try DSMPipeline.run(configuration: bad)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)

        let calls = Atomic<Int>(0)
        let d = try Self.configuration(folder, spills: true)
        #expect(throws: DSMPipelineError.self) {
            try DSMPipeline.run(configuration: d, isCancelled: { calls.wrappingAdd(1, ordering: .relaxed).oldValue >= 1 })
        }
        #expect(calls.load(ordering: .relaxed) >= 2, "cancelled after the first tile started")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
    }
}

@Suite("MemoryPlan: the out-of-core rasterisation phase")
struct MemoryPlanRasterizationTests {
    static let mib = 1 << 20

    @Test("The rasterisation bytes grow with the output tile, not with the grid; the peak is the larger phase")
    func rasterizationPhase() throws {
        let parameters = RasterizationParameters(statistic: .median, maxHoleArea: 20, tileSize: 512)
        let small = try DSMGrid(originX: 0, originY: 0, resolution: 0.5, width: 1000, height: 1000)
        let large = try DSMGrid(originX: 0, originY: 0, resolution: 0.5, width: 100_000, height: 100_000)
        // Same density (one point a cell): same bytes however large the grid.
        let a = MemoryPlan.rasterizationBytes(grid: small, points: 1_000_000, parameters: parameters)
        let b = MemoryPlan.rasterizationBytes(grid: large, points: 10_000_000_000, parameters: parameters)
        #expect(a == b)
        // 552² padded cells · 48 B + 4 · 552² points · 80 B + 16 MiB of bin buffers.
        #expect(a == 552 * 552 * 48 + 4 * 552 * 552 * 80 + PointSpill.binBufferBytes)
        let plan = try MemoryPlan.choose(limit: 1536 * Self.mib, tileSize: 300, threads: 2, points: 0,
                                         rasterizationBytes: 1200 * Self.mib) { _ in 10 * Self.mib }
        #expect(plan.workers == 2 && plan.estimatedBytes == MemoryPlan.baselineBytes + 1200 * Self.mib, "the rasterisation phase is the peak")
        #expect {
            _ = try MemoryPlan.choose(limit: 1024 * Self.mib, tileSize: 300, threads: 2, points: 0,
                                      rasterizationBytes: 1000 * Self.mib) { _ in 10 * Self.mib }
        } throws: { error in "\(error)".contains("--memory") && "\(error)".contains("too small") }
    }
}
