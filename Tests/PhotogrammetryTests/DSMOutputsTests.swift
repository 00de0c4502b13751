import Foundation
import Testing
@testable import Photogrammetry
import Raster

/// Little-endian reads from a file's bytes.
private struct Bytes {
    let data: [UInt8]
    func u8(_ at: Int) -> UInt8 { data[at] }
    func u16(_ at: Int) -> UInt16 { UInt16(data[at]) | UInt16(data[at + 1]) << 8 }
    func u32(_ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(data[at + $1]) << (8 * $1) } }
    func u64(_ at: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(data[at + $1]) << (8 * $1) } }
    func i32(_ at: Int) -> Int32 { Int32(bitPattern: u32(at)) }
    func f64(_ at: Int) -> Double { Double(bitPattern: u64(at)) }
    func string(_ at: Int, _ n: Int) -> String { String(decoding: data[at..<at + n].prefix { $0 != 0 }, as: UTF8.self) }
}

@Suite("dsm-run dsm outputs: LAS, confidence, kept tiles", .enabled(if: SampleData.root != nil, SampleData.skipMessage))
struct DSMOutputsTests {
    /// A 64x32 ROI of the Réunion pair in two 32-pixel tiles (a debug build takes 2-3 s a tile).
    static func configuration(_ folder: String) throws -> DSMConfiguration {
        var c = try DSMPipelineData.configuration(output: folder + "/dsm.tif", roi: Window(x: 500, y: 500, width: 64, height: 32))
        c.tileSize = 32
        return c
    }

    @Test("--points: a LAS 1.4 format 6 file with the run's points, UTM 40S WKT, bounds and points inside the grid")
    func las() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        var c = try Self.configuration(folder)
        c.pointCloud = folder + "/cloud.las"
        c.confidence = folder + "/conf.tif"
        let summary = try DSMPipeline.run(configuration: c)
        let b = Bytes(data: [UInt8](try #require(FileManager.default.contents(atPath: folder + "/cloud.las"))))
        #expect(b.string(0, 4) == "LASF")
        #expect(b.u8(24) == 1 && b.u8(25) == 4, "version 1.4")
        #expect(b.u16(6) & 16 == 16, "global encoding: WKT bit")
        #expect(b.u16(94) == 375, "header size")
        #expect(b.u8(104) == 6 && b.u16(105) == 30, "point format 6, 30-byte records")
        #expect(b.u32(107) == 0, "legacy count 0 for format 6")
        let count = Int(b.u64(247))
        #expect(count == summary.points && count > 0)
        #expect(b.u64(255) == UInt64(count), "all first returns")
        let offsetToPoints = Int(b.u32(96))
        #expect(b.data.count == offsetToPoints + 30 * count)
        #expect(b.u32(100) == 1 && b.string(375 + 2, 16) == "LASF_Projection" && b.u16(375 + 18) == 2112)
        let wkt = b.string(375 + 54, Int(b.u16(375 + 20)))
        #expect(wkt.contains("UTM zone 40S"), "\(wkt.prefix(80))")
        let scale = (b.f64(131), b.f64(139), b.f64(147)), offset = (b.f64(155), b.f64(163), b.f64(171))
        let (maxX, minX, maxY, minY, maxZ, minZ) = (b.f64(179), b.f64(187), b.f64(195), b.f64(203), b.f64(211), b.f64(219))
        #expect(scale.0 == 0.001 && scale.2 == 0.001)
        // Heights inside the searched range (2320 ± 100 m); the grid covers the points.
        #expect(minZ >= 2220 && maxZ <= 2420 && minZ < maxZ, "\(minZ)...\(maxZ)")
        let grid = summary.dsm.grid
        #expect(minX >= grid.originX && maxX <= grid.originX + Double(grid.width) * grid.resolution)
        #expect(maxY <= grid.originY && minY >= grid.originY - Double(grid.height) * grid.resolution)
        for k in [0, count / 2, count - 1] {
            let at = offsetToPoints + 30 * k
            let x = Double(b.i32(at)) * scale.0 + offset.0, y = Double(b.i32(at + 4)) * scale.1 + offset.1
            let z = Double(b.i32(at + 8)) * scale.2 + offset.2
            #expect(x >= minX - 0.001 && x <= maxX + 0.001 && y >= minY - 0.001 && y <= maxY + 0.001 && z >= minZ - 0.001 && z <= maxZ + 0.001)
            #expect(b.u8(at + 14) == 0x11 && b.u16(at + 20) == 1, "return 1 of 1, point source 1 (the one pair)")
        }

        // --confidence: same grid as the DSM, band 1 in [0, 1] where band 2 (points) > 0.
        let dsm = try Dataset(path: c.output), conf = try Dataset(path: folder + "/conf.tif")
        #expect(conf.width == dsm.width && conf.height == dsm.height && conf.bandCount == 2)
        #expect(try #require(conf.geoTransform).coefficients == (try #require(dsm.geoTransform)).coefficients)
        let values = try conf.read(Float.self, window: Window(x: 0, y: 0, width: conf.width, height: conf.height))
        var total = 0.0, inRange = true, missing = 0
        for j in 0..<values.height {
            for i in 0..<values.width {
                let n = values[i, j, 1], v = values[i, j, 0]
                total += Double(n)
                if n > 0 { inRange = inRange && v >= 0 && v <= 1 } else if !v.isNaN { missing += 1 }
            }
        }
        #expect(Int(total) == summary.points, "band 2 counts every point once")
        #expect(inRange && missing == 0, "confidence in [0, 1] exactly where points fell")
    }

    @Test("--keep-tiles: a second run with the same folder computes no tile and writes the same DSM")
    func keepTiles() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        var c = try Self.configuration(folder)
        c.keepTiles = folder + "/tiles"
        let first = try DSMPipeline.run(configuration: c)
        #expect(first.reusedTiles == 0 && first.tiles == 2)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder + "/tiles").filter { $0.hasSuffix(".tile") }
        #expect(files.count == 2)
        let before = try Dataset(path: c.output).readAll(Float.self).packedBand(0)
        try FileManager.default.removeItem(atPath: c.output)
        let second = try DSMPipeline.run(configuration: c)
        #expect(second.reusedTiles == 2, "every tile read back")
        #expect(second.points == first.points && second.matchedPixels == first.matchedPixels)
        let after = try Dataset(path: c.output).readAll(Float.self).packedBand(0)
        #expect(before.map(\.bitPattern) == after.map(\.bitPattern), "the same DSM, bit for bit")

        // Other matching settings: the stored tiles are stale and recomputed.
        c.matching.p2 += 1
        let third = try DSMPipeline.run(configuration: c)
        #expect(third.reusedTiles == 0)
    }
}
