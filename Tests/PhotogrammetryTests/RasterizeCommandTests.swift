import Foundation
import Raster
import Testing

/// `dsm-run rasterize`, run as a process (built next to the test bundle by `swift test`).
@Suite("Rasterize: command line (dsm-run rasterize)")
struct RasterizeCommandTests {
    /// dsm-run's exit status and its stdout and stderr together.
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let result = try DSMRunProcess.run(arguments)
        return (result.status, result.out + result.err)
    }

    @Test("--help lists the options; bad arguments fail with a message")
    func arguments() throws {
        let (status, help) = try Self.run(["rasterize", "--help"])
        #expect(status == 0)
        for option in ["--output", "--resolution", "--median", "--mean", "--plyflatten", "--epsg", "--cloud-epsg", "--max-hole-area", "--datum", "--geoid"] {
            #expect(help.contains(option), "help lacks \(option)")
        }
        let negative = try Self.run(["rasterize", "c.ply", "-o", "d.tif", "--resolution", "0"])
        #expect(negative.status != 0 && negative.output.contains("--resolution must be a number in [0.01, 10000] metres, got 0.0"), "\(negative.output)")
        let noGeoid = try Self.run(["rasterize", "c.ply", "-o", "d.tif", "--resolution", "1", "--datum", "egm96"])
        #expect(noGeoid.status != 0 && noGeoid.output.contains("--geoid"))
        let missing = try Self.run(["rasterize", "/nonexistent/c.ply", "-o", "/tmp/d.tif", "--resolution", "1"])
        #expect(missing.status != 0 && missing.output.contains("/nonexistent/c.ply"))
    }

    @Test("--plyflatten on s2p's cloud writes s2p's DSM", .enabled(if: SampleData.root != nil, SampleData.skipMessage))
    func reference() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let output = folder + "/dsm.tif"
        let (status, text) = try Self.run(["rasterize", try SampleData.path("s2p_units/input_ply/cloud.ply"), "-o", output,
                                           "--resolution", "0.4", "--plyflatten", "--tile-size", "128"])
        #expect(status == 0, "\(text)")
        #expect(text.contains("456x477") && text.contains("EPSG 32740"))
        let expected = try Dataset(path: try SampleData.path("s2p_units/expected_output/plyflatten/dsm_40cm.tiff"))
        let written = try Dataset(path: output)
        #expect(written.geoTransform == expected.geoTransform)
        #expect(differingCells(try written.readAll(Float.self), try expected.readAll(Float.self)) == 0)
        #expect(written.metadata()["VERTICAL_DATUM"] == "WGS84 ellipsoid")

        // --epsg reprojects: the neighbouring zone's grid, CRS written.
        let other = folder + "/dsm41.tif"
        let (status41, text41) = try Self.run(["rasterize", try SampleData.path("s2p_units/input_ply/cloud.ply"), "-o", other,
                                               "--resolution", "1", "--epsg", "32741", "--median", "--max-hole-area", "4"])
        #expect(status41 == 0, "\(text41)")
        #expect(try Dataset(path: other).spatialReference?.epsg == 32741)
    }

    @Test("a PLY without CRS needs --cloud-epsg")
    func cloudCRS() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let ply = folder + "/c.ply"
        try Data("ply\nformat ascii 1.0\nelement vertex 2\nproperty float x\nproperty float y\nproperty float z\nend_header\n1 2 3\n2 1 4\n".utf8)
            .write(to: URL(fileURLWithPath: ply))
        let failed = try Self.run(["rasterize", ply, "-o", folder + "/a.tif", "--resolution", "1"])
        #expect(failed.status != 0 && failed.output.contains("has no coordinate reference system"), "\(failed.output)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/a.tif"))
        let given = try Self.run(["rasterize", ply, "-o", folder + "/b.tif", "--resolution", "1", "--cloud-epsg", "32631", "--mean"])
        #expect(given.status == 0, "\(given.output)")
        let dataset = try Dataset(path: folder + "/b.tif")
        #expect(dataset.spatialReference?.epsg == 32631 && dataset.width == 2 && dataset.height == 2)
        let heights = try dataset.readAll(Float.self)
        // Grid corner (1, 2): (1, 2) is cell (0, 0), (2, 1) cell (1, 1); the other two empty.
        #expect(heights[0, 0] == 3 && heights[1, 1] == 4 && heights[1, 0].isNaN && heights[0, 1].isNaN)
    }
}
