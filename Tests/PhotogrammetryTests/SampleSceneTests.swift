import Foundation
import Testing
import Photogrammetry
import Raster

@Suite("Bundled sample and RPC coefficients")
struct SampleSceneTests {
    /// testdata/ beside Package.swift, found from this file's path.
    static let testdata = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("testdata").path

    @Test("testdata/sample.tif is what SampleScene renders today (pixels and RPC)")
    func committedSampleIsCurrent() throws {
        let ds = try Dataset(path: Self.testdata + "/sample.tif")
        #expect(try ds.readAll(UInt16.self) == SampleScene.render(),
                "regenerate with: swift run dsm-run make-sample testdata/sample.tif")
        let rpc = try RPCCoefficients(gdalMetadata: ds.metadata(domain: "RPC"), source: ds.path)
        let expected = SampleScene.rpc
        for (a, b) in zip(rpc.allValues, expected.allValues) {
            #expect(abs(a - b) <= 1e-14 * max(1, abs(b)), "RPC value \(a) != \(b)")
        }
        #expect(rpc.allValues.count == 90)
    }

    @Test("RPC metadata with a missing field, a short polynomial or a zero scale is rejected by name")
    func badRPC() throws {
        let good = SampleScene.rpc.gdalMetadata
        #expect(throws: RPCError.noRPC(source: "x")) { try RPCCoefficients(gdalMetadata: [:], source: "x") }
        var missing = good
        missing["LAT_SCALE"] = nil
        #expect(throws: RPCError.missingField("LAT_SCALE", source: "x")) { try RPCCoefficients(gdalMetadata: missing, source: "x") }
        var short = good
        short["LINE_NUM_COEFF"] = "1 2 3"
        #expect(throws: RPCError.self) { try RPCCoefficients(gdalMetadata: short, source: "x") }
        var zero = good
        zero["HEIGHT_SCALE"] = "0"
        #expect(throws: RPCError.self) { try RPCCoefficients(gdalMetadata: zero, source: "x") }
        #expect(try RPCCoefficients(gdalMetadata: good, source: "x") == SampleScene.rpc)
    }
}
