import ArgumentParser
import Raster

/// Numeric options checked at the edge: finite and inside a documented range, with one message
/// naming the option, its range and the value given. The ranges are what a command can use, not
/// what it would survive: a terrain height is on Earth, a pixel is no smaller than a centimetre.
enum NumberChecks {
    /// Terrain heights in metres above the WGS84 ellipsoid: the Dead Sea shore is about -410 m
    /// (the geoid about 20 m below it), Everest about 8,820 m, with room on both sides.
    static let heights: ClosedRange<Double> = -1_000...10_000
    /// Output pixel sizes in metres: 1 cm to 10 km.
    static let pixelSizes: ClosedRange<Double> = 0.01...10_000
    /// EPSG codes are positive and below 1,000,000 (GDAL rejects others with a less clear message).
    static let epsgCodes: ClosedRange<Int> = 1...999_999
    /// Threads of one run.
    static let threads: ClosedRange<Int> = 1...1_024

    static func check(_ value: Double?, _ option: String, in range: ClosedRange<Double>, unit: String = "") throws {
        guard let value else { return }
        let suffix = unit.isEmpty ? "" : " " + unit
        guard value.isFinite, range.contains(value) else {
            throw ValidationError("\(option) must be a number in [\(format(range.lowerBound)), \(format(range.upperBound))]\(suffix), got \(value)")
        }
    }

    static func check(_ value: Float?, _ option: String, in range: ClosedRange<Double>, unit: String = "") throws {
        try check(value.map(Double.init), option, in: range, unit: unit)
    }

    static func check(_ value: Int?, _ option: String, in range: ClosedRange<Int>, unit: String = "") throws {
        guard let value else { return }
        guard range.contains(value) else {
            let suffix = unit.isEmpty ? "" : " " + unit
            throw ValidationError("\(option) must be in \(range.lowerBound)...\(range.upperBound)\(suffix), got \(value)")
        }
    }

    /// An output pixel size in the unit of the output CRS: metres, or degrees (1e-7 to 1) when
    /// `epsg` is a geographic CRS.
    static func pixelSize(_ value: Double?, epsg: Int?, option: String = "--resolution") throws {
        if let epsg, (try? SpatialReference(epsg: epsg))?.isGeographic == true {
            try check(value, option, in: 1e-7...1, unit: "degrees (EPSG:\(epsg) is geographic)")
        } else {
            try check(value, option, in: pixelSizes, unit: "metres")
        }
    }

    static func height(_ value: Double?, _ option: String = "--height") throws {
        try check(value, option, in: heights, unit: "metres above the WGS84 ellipsoid")
    }

    private static func format(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x)
    }
}
