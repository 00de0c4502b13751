import Foundation

/// WGS84 ellipsoid constants and conversions used by the geometry step.
enum WGS84 {
    static let a = 6_378_137.0
    static let f = 1 / 298.257223563
    static let e2 = f * (2 - f)

    /// Metres per degree of longitude (x) and latitude (y) at a latitude.
    static func metresPerDegree(latitude: Double) -> SIMD2<Double> {
        let phi = latitude * .pi / 180
        let s = sin(phi)
        let w = (1 - e2 * s * s).squareRoot()
        let n = a / w                       // prime-vertical radius
        let m = a * (1 - e2) / (w * w * w)  // meridian radius
        return SIMD2(n * cos(phi) * .pi / 180, m * .pi / 180)
    }

    /// Earth-centred, Earth-fixed coordinates (metres) of a geodetic point.
    static func ecef(longitude: Double, latitude: Double, height: Double) -> SIMD3<Double> {
        let phi = latitude * .pi / 180, lambda = longitude * .pi / 180
        let s = sin(phi)
        let n = a / (1 - e2 * s * s).squareRoot()
        let r = (n + height) * cos(phi)
        return SIMD3(r * cos(lambda), r * sin(lambda), (n * (1 - e2) + height) * s)
    }
}
