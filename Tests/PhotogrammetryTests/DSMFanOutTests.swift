import Foundation
import Testing
@testable import Photogrammetry
import Raster

@Suite("DSM fan-out: parts, point files, merge")
struct DSMFanOutTests {
    static func layout(rois: [[Int]], tile: Int) -> DSMLayout {
        DSMLayout(originX: 0, originY: 0, resolution: 1, width: 10, height: 10, epsg: 32740, lowerHeight: 0, upperHeight: 100,
                  pairROIs: rois, tileSize: tile)
    }

    @Test("parts are blocks of whole tiles under the threshold and give every job to exactly one part",
          arguments: [([[0, 0, 700, 650]], 300), ([[150, 150, 700, 700]], 300), ([[10, 20, 1000, 90]], 64),
                      ([[0, 0, 500, 500], [40, 30, 500, 480]], 100)])
    func partsShareOutTheJobs(_ rois: [[Int]], _ tile: Int) {
        for maxPixels in [1, tile * tile, 2 * tile * tile + 5, 6 * tile * tile, 1 << 40] {
            let l = Self.layout(rois: rois, tile: tile)
            let parts = l.parts(maxPixels: maxPixels)
            let owners = l.jobs.map { job in parts.indices.filter { parts[$0].contains(x: job.tile.x, y: job.tile.y) } }
            #expect(owners.allSatisfy { $0.count == 1 }, "maxPixels \(maxPixels): a job in \(owners.first { $0.count != 1 } ?? []) parts")
            let tilesPerPart = max(1, maxPixels / (tile * tile))
            #expect(parts.allSatisfy { ($0.width + tile - 1) / tile * (($0.height + tile - 1) / tile) <= tilesPerPart })
            #expect(parts.allSatisfy { ($0.x - parts[0].x) % tile == 0 && ($0.y - parts[0].y) % tile == 0 }, "parts off the tile grid")
        }
    }

    @Test("a point file round-trips its jobs (request-wide numbers, pairs, row offsets) and points; a bad file is named in the error")
    func pointFileRoundTrip() throws {
        let folder = NSTemporaryDirectory() + "relief-fanout-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let grid = try DSMGrid(originX: 0, originY: 10, resolution: 1, width: 10, height: 10, epsg: 32740)
        let part = try PointSpill(besideOutput: folder + "/part", grid: grid, jobs: 3)
        try part.append(job: 0, pair: 0, x: [1, 2], y: [3, 4], z: [5, 6], confidences: [0.5, 0.25])
        try part.append(job: 2, pair: 1, x: [7], y: [8], z: [.nan], confidences: [1])
        let entries = [PointSpill.FileEntry(job: 4, pair: 0, count: 0, rowOffset: -0.75),
                       PointSpill.FileEntry(job: 5, pair: 0, count: 0, rowOffset: nil),
                       PointSpill.FileEntry(job: 6, pair: 1, count: 0, rowOffset: 1.5)]
        #expect(try part.export(entries, to: folder + "/tile-0.points") == 3)
        part.remove()
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["tile-0.points"], "a temporary file is left")
        let merged = try PointSpill(besideOutput: folder + "/dsm.tif", grid: grid, jobs: 8)
        defer { merged.remove() }
        let read = try merged.importFile(folder + "/tile-0.points")
        #expect(read.map(\.job) == [4, 5, 6] && read.map(\.count) == [2, 0, 1] && read.map(\.rowOffset) == [-0.75, nil, 1.5])
        let chunks = merged.chunks
        #expect(chunks.indices.filter { chunks[$0] != nil } == [4, 6])
        let six = try merged.read(try #require(chunks[6]))
        #expect(six.x == [7] && six.y == [8] && six.z[0].isNaN && six.confidences == [1] && chunks[6]?.pair == 1)
        try Data("RELIEFP2".utf8 + [1, 0]).write(to: URL(fileURLWithPath: folder + "/bad.points"))
        #expect(throws: DSMPipelineError.invalidConfiguration("cannot read the point file \(folder)/bad.points: truncated")) {
            try merged.importFile(folder + "/bad.points")
        }
        let small = try PointSpill(besideOutput: folder + "/small.tif", grid: grid, jobs: 2)
        defer { small.remove() }
        #expect(throws: DSMPipelineError.self) { try small.importFile(folder + "/tile-0.points") }
    }

    @Test("Réunion: 4 parts matched apart and merged give the one-job DSM bit for bit",
          .enabled(if: SampleData.root != nil, SampleData.skipMessage))
    func mergedEqualsOneJob() throws {
        let folder = NSTemporaryDirectory() + "relief-fanout-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var c = try DSMPipelineData.configuration(output: folder + "/one.tif")
        c.tileSize = 150
        _ = try DSMPipeline.run(configuration: c)
        let layout = try DSMPipeline.layout(configuration: c)
        let parts = layout.parts(maxPixels: 150 * 150)
        #expect(parts.count == 4)
        var files: [String] = []
        for (k, part) in parts.enumerated().reversed() {
            let file = folder + "/tile-\(k).points"
            let s = try DSMPipeline.matchPoints(configuration: c, layout: layout, part: part, to: file)
            #expect(s.tiles == 1 && s.points > 0)
            files.append(file)
        }
        var merged = c
        merged.output = folder + "/merged.tif"
        _ = try DSMPipeline.rasterize(configuration: merged, layout: layout, pointFiles: files)
        #expect(try Data(contentsOf: URL(fileURLWithPath: folder + "/merged.tif")) == Data(contentsOf: URL(fileURLWithPath: folder + "/one.tif")))
        let left = try FileManager.default.contentsOfDirectory(atPath: folder).filter { !$0.hasSuffix(".points") }.sorted()
        #expect(left == ["merged.tif", "one.tif"], "temporary files left: \(left)")
    }
}
