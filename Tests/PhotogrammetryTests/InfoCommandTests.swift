import Foundation
import Photogrammetry
import Testing

/// `dsm-run info` on the bundled sample (the README's demo): its RPC summary and its footprint,
/// checked against the sample's near-affine RPC inverted by hand (at the height offset the
/// height term vanishes: lon = LONG_OFF + LONG_SCALE (col - SAMP_OFF) / SAMP_SCALE, and
/// lat = LAT_OFF - LAT_SCALE (row - LINE_OFF) / LINE_SCALE).
@Suite("dsm-run info")
struct InfoCommandTests {
    @Test("the sample's description names its RPC, corners and footprint area")
    func sample() throws {
        let (status, out, err) = try DSMRunProcess.run(["info", SampleSceneTests.testdata + "/sample.tif"])
        #expect(status == 0, "stderr: \(err)")
        #expect(out.contains("Size: 96 x 96, 1 band(s)"))
        #expect(out.contains("RPC: RPC00B, 90 values"))
        let rpc = SampleScene.rpc
        let lon = rpc.longitudeOffset + rpc.longitudeScale * (95 - rpc.sampleOffset) / rpc.sampleScale
        let lat = rpc.latitudeOffset - rpc.latitudeScale * (95 - rpc.lineOffset) / rpc.lineScale
        #expect(out.contains(String(format: "lower right pixel (95, 95): lon %.7f, lat %.7f", lon, lat)), "\(out)")
        // 96 px of 0.5 m (SampleScene's scales) on each side: 48 m x 48 m = 0.0023 km².
        #expect(out.contains("Footprint at 500.0 m above the WGS84 ellipsoid: 0.0023 km²"), "\(out)")
    }

    @Test("a missing file is a clear error and a non-zero exit")
    func missing() throws {
        let (status, _, err) = try DSMRunProcess.run(["info", "/nonexistent/x.tif"])
        #expect(status != 0)
        #expect(err.contains("file not found: /nonexistent/x.tif"))
    }
}
