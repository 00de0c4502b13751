import Foundation
import Raster

/// The small synthetic scene bundled in `testdata/sample.tif`: a 12-bit textured image and a
/// simple RPC (near-affine, 0.5 m pixels, slight height parallax) placed on Mont Ventoux.
/// Deterministic, so tests can check the committed file against a fresh render.
public enum SampleScene {
    public static let width = 96
    public static let height = 96

    /// Near-affine RPC: sample grows with longitude, line with decreasing latitude, and a small
    /// height term (0.05 sample per normalised height unit) so heights matter.
    public static var rpc: RPCCoefficients {
        var sampleNum = [Double](repeating: 0, count: 20), lineNum = sampleNum
        var den = [Double](repeating: 0, count: 20)
        den[0] = 1
        sampleNum[1] = 1       // L
        sampleNum[3] = 0.05    // H
        lineNum[2] = -1        // P
        let metres = 0.5 * Double(width) / 2  // half extent in metres
        return RPCCoefficients(
            lineOffset: Double(height) / 2 - 0.5, sampleOffset: Double(width) / 2 - 0.5,
            latitudeOffset: 44.229, longitudeOffset: 5.163, heightOffset: 500,
            lineScale: Double(height) / 2, sampleScale: Double(width) / 2,
            latitudeScale: metres / 111_132.0, longitudeScale: metres / (111_320.0 * cos(44.229 * .pi / 180)),
            heightScale: 500, lineNumerator: lineNum, lineDenominator: den,
            sampleNumerator: sampleNum, sampleDenominator: den)
    }

    /// The image: smooth relief shading plus a deterministic fine texture, 12-bit DN.
    public static func render() -> ImageBuffer<UInt16> {
        var image = ImageBuffer<UInt16>(width: width, height: height)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for y in 0..<height {
            for x in 0..<width {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let noise = Double(state >> 52) / 4096.0  // [0, 1)
                let fx = Double(x), fy = Double(y)
                let relief = 0.5 + 0.25 * sin(fx / 7) * cos(fy / 11) + 0.15 * sin((fx + fy) / 5)
                let value = 4095 * min(1, max(0, 0.8 * relief + 0.2 * noise))
                image[x, y] = UInt16(value.rounded())
            }
        }
        return image
    }

    /// Writes the sample (tiled DEFLATE GeoTIFF with its RPC in the `RPC` domain).
    public static func write(to path: String) throws {
        try writeRaster(
            render(), to: path, options: WriteOptions(format: .geoTIFF, blockSize: 32),
            bandDescriptions: ["synthetic panchromatic"],
            metadata: ["RPC": rpc.gdalMetadata, "": ["RELIEF_SAMPLE": "synthetic scene, see testdata/README.md"]])
    }
}
