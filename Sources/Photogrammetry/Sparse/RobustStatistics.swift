/// Robust statistics used by the sparse analysis.
enum RobustStatistics {
    /// The median (the upper one of an even count); nil for none.
    static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let s = values.sorted()
        return s[s.count / 2]
    }

    /// 1.4826 x the median absolute deviation from the median (the standard deviation of
    /// normal data); 0 for none.
    static func nmad(_ values: [Double]) -> Double {
        guard let m = median(values) else { return 0 }
        return 1.4826 * (median(values.map { abs($0 - m) }) ?? 0)
    }

    /// The value at `percent` (0...100) of the sorted values, by linear interpolation.
    static func percentile(sorted s: [Double], _ percent: Double) -> Double {
        precondition(!s.isEmpty, "a percentile of no value")
        let position = min(max(percent, 0), 100) / 100 * Double(s.count - 1)
        let i = Int(position.rounded(.down)), t = position - Double(i)
        return i + 1 < s.count ? s[i] * (1 - t) + s[i + 1] * t : s[i]
    }
}
