import Foundation
@testable import Photogrammetry
import Raster
import Testing

/// `dsm-run match`, run as a process (the binary is built next to the test bundle by `swift test`).
@Suite("Matching command line (dsm-run match)")
struct MatchingCommandTests {
    /// dsm-run's exit status and its stdout and stderr together.
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let result = try DSMRunProcess.run(arguments)
        return (result.status, result.out + result.err)
    }

    @Test("--help lists the issue's options")
    func help() throws {
        let (status, output) = try Self.run(["match", "--help"])
        #expect(status == 0)
        for option in ["--disparity", "--output", "--confidence", "--paths", "--p1", "--p2"] {
            #expect(output.contains(option), "help lacks \(option)")
        }
    }

    @Test("bad arguments fail with a message, not a crash")
    func badArguments() throws {
        let a = try Self.run(["match", "l.png", "r.png", "--disparity", "9:2", "-o", "/tmp/x.tif"])
        #expect(a.status != 0 && a.output.contains("disparity"))
        let b = try Self.run(["match", "l.png", "r.png", "--disparity", "0:9", "-o", "/tmp/x.tif", "--paths", "5"])
        #expect(b.status != 0 && b.output.contains("paths"))
        let c = try Self.run(["match", "/nonexistent/l.png", "/nonexistent/r.png", "--disparity", "0:9", "-o", "/tmp/x.tif"])
        #expect(c.status != 0)
    }

    @Test("Cones PNG pair: Float32 disparity and confidence GeoTIFFs, NaN where invalid",
          .enabled(if: SampleData.root != nil, SampleData.skipMessage))
    func cones() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let data = "middlebury_cones/tests/pandora/"
        let (status, output) = try Self.run([
            "match", try SampleData.path(data + "left.png"), try SampleData.path(data + "right.png"),
            "--disparity", "0:64", "-o", folder + "/disparity.tif", "--confidence", folder + "/confidence.tif", "--paths", "4",
        ])
        #expect(status == 0, "\(output)")
        let disparity = try Dataset(path: folder + "/disparity.tif")
        #expect(try disparity.pixelType(band: 1) == .float32)
        #expect(try disparity.nodata(band: 1)?.isNaN == true)
        let values: ImageBuffer<Float> = try disparity.readAll()
        #expect(values.width == 450 && values.height == 375)
        let valid = values.storage.filter { !$0.isNaN }
        // Same bar as the library test (density >= 80 %), values within the searched range.
        #expect(valid.count >= 450 * 375 * 8 / 10)
        #expect(valid.filter { !(-0.5...64.5).contains($0) }.count == 0)
        let confidence: ImageBuffer<Float> = try Dataset(path: folder + "/confidence.tif").readAll()
        #expect(confidence.storage.filter { !$0.isNaN && !(0...1).contains($0) }.count == 0)
    }

    @Test("Full search streamed in tiles (a 2 MiB budget) and coarse to fine: the files hold matchTiled's maps bit for bit")
    func streamedEqualsInMemory() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let (l, r, (left, right)) = try MatchingStreamedTests.pairFiles(in: folder)
        for (search, range, memory) in [("full", -3...20, 2), ("pyramid", 0...70, 512)] {
            let out = folder + "/d-\(search).tif", conf = folder + "/c-\(search).tif"
            let (status, output) = try Self.run(["match", l, r, "--disparity=\(range.lowerBound):\(range.upperBound)", "-o", out,
                                                 "--confidence", conf, "--memory", "\(memory)", "--search", search, "--nodata", "0"])
            #expect(status == 0, "\(output)")
            if search == "full" { #expect(output.contains("matched tile 3"), "several tiles: \(output)") }
            var parameters = StereoMatchingParameters()
            parameters.memoryLimit = memory << 20
            parameters.search = search == "full" ? .full : .pyramid
            let expected = try StereoMatcher.matchTiled(left: left, right: right, disparities: range, parameters: parameters, nodata: 0)
            let disparity: ImageBuffer<Float> = try Dataset(path: out).readAll()
            let confidence: ImageBuffer<Float> = try Dataset(path: conf).readAll()
            #expect(MatchingStreamedTests.equal(disparity.storage, expected.disparity.storage), "\(search)")
            #expect(MatchingStreamedTests.equal(confidence.storage, expected.confidence.storage), "\(search)")
            #expect(disparity.storage.filter { abs($0 - 7) <= 1 }.count > 150 * 110 / 2, "\(search)")
        }
    }

    @Test("Streamed full search on images of different sizes: an error naming them, and no output or staging file left")
    func streamedBadInput() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let (l, _, _) = try MatchingStreamedTests.pairFiles(in: folder)
        try writeRaster(ImageBuffer<Float>(width: 149, height: 110, filledWith: 1), to: folder + "/narrow.tif", options: .geoTIFF)
        let before = Set(try FileManager.default.contentsOfDirectory(atPath: folder))
        let (status, output) = try Self.run(["match", l, folder + "/narrow.tif", "--disparity", "0:20", "-o", folder + "/d.tif",
                                             "--confidence", folder + "/c.tif"])
        #expect(status != 0)
        #expect(output.contains("150") && output.contains("149"), "\(output)")
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: folder)) == before)
    }
}
