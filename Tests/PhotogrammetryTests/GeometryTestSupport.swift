@testable import Photogrammetry
import Raster

/// Synthetic RPC images for the geometry tests: a 1000x1000 image of 0.5 m pixels centred on
/// (lon0, lat0), seeing the ground through an affine RPC00B model
/// sample = sampleOffset + 500 (L + tilt H), line = 499.5 - 500 P, with L, P, H the normalised
/// longitude, latitude and height (height scale 1000 m, offset 0). `tilt` makes the line of
/// sight lean east-west: the image moves 500 · tilt / 1000 pixels per metre of height.
enum SyntheticGeometry {
    static let lon0 = 5.0, lat0 = 45.0
    static let size = 1000
    static let pixel = 0.5

    static func image(name: String, sampleOffset: Double = 499.5, tilt: Double = 0) -> StereoImage {
        let perDegree = WGS84.metresPerDegree(latitude: lat0)
        var sampleNum = [Double](repeating: 0, count: 20), lineNum = sampleNum, den = sampleNum
        sampleNum[1] = 1       // L
        sampleNum[3] = tilt    // H
        lineNum[2] = -1        // P (rows go south)
        den[0] = 1
        let half = Double(size) / 2
        let coefficients = RPCCoefficients(
            lineOffset: half - 0.5, sampleOffset: sampleOffset, latitudeOffset: lat0, longitudeOffset: lon0,
            heightOffset: 0, lineScale: half, sampleScale: half,
            latitudeScale: half * pixel / perDegree.y, longitudeScale: half * pixel / perDegree.x,
            heightScale: 1000, lineNumerator: lineNum, lineDenominator: den,
            sampleNumerator: sampleNum, sampleDenominator: den)
        let model = RPCModel(coefficients: coefficients, source: name, format: .memory)
        return StereoImage(path: name, width: size, height: size, model: model)
    }

    /// A square of `side` degrees with its south-west corner at (lon, lat), counter-clockwise.
    static func square(_ lon: Double, _ lat: Double, _ side: Double) -> GroundPolygon {
        GroundPolygon(vertices: [SIMD2(lon, lat), SIMD2(lon + side, lat), SIMD2(lon + side, lat + side), SIMD2(lon, lat + side)])
    }
}
