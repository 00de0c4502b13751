import Foundation

/// The Earth-Sun distance in astronomical units on a day of the year (1 = 1 January):
/// d = 1 - 0.01672 cos(0.9856° (J - 4)), the first-order orbit model used by Landsat's and
/// Pléiades' user guides (eccentricity 0.01672, perihelion on 4 January, mean motion 0.9856°
/// per day). Its error against the ephemeris is below 1e-4 AU, i.e. < 0.02 % of reflectance.
///
/// - Complexity: O(1).
public func earthSunDistance(dayOfYear: Int) -> Double {
    let degrees = 0.9856 * Double(dayOfYear - 4)
    return 1 - 0.01672 * cos(degrees * .pi / 180)
}

/// The day of the year (1...366) of a UTC date given as "YYYY-MM-DD..." (the rest ignored), nil
/// when it is not such a date.
public func dayOfYear(isoDate text: String) -> Int? {
    let parts = text.prefix(10).split(separator: "-")
    guard parts.count == 3, let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
          (1...12).contains(month), day >= 1 else { return nil }
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    var lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    guard day <= lengths[month - 1] else { return nil }
    lengths[month - 1] = day
    return lengths[..<month].reduce(0, +)
}
