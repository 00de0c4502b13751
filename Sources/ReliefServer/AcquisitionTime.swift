import Foundation
import Raster

/// When an image was taken, from what its files say: a DIMAP file beside it
/// (`<IMAGING_DATE>` and `<IMAGING_TIME>`), metadata items naming the acquisition
/// (`ACQUISITION_DATETIME`, `IMAGING_DATE`/`IMAGING_TIME`), or a Pléiades / SPOT dataset
/// identifier in the metadata (`DS_PHR1B_201306290637144_...`: year, month, day, hours,
/// minutes, seconds and tenths, UTC). nil when none says it.
enum AcquisitionTime {
    static func read(image: String) -> Date? {
        let folder = (image as NSString).deletingLastPathComponent
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        for name in names.sorted() where name.uppercased().hasPrefix("DIM_") && name.uppercased().hasSuffix(".XML") {
            if let text = try? String(contentsOfFile: folder + "/" + name, encoding: .utf8), let d = fromDIMAP(text) { return d }
        }
        guard let dataset = try? Dataset(path: image) else { return nil }
        for domain in [""] + dataset.metadataDomains where domain.isEmpty || !domain.hasPrefix("RPC") {
            let items = dataset.metadata(domain: domain)
            if let v = items["ACQUISITION_DATETIME"], let d = iso(v) { return d }
            if let day = items["IMAGING_DATE"], let d = iso(day + "T" + (items["IMAGING_TIME"] ?? "00:00:00") + (items["IMAGING_TIME"]?.hasSuffix("Z") == true ? "" : "Z")) {
                return d
            }
            for value in items.values { if let d = fromDatasetIdentifier(value) { return d } }
        }
        return nil
    }

    /// `<IMAGING_DATE>2013-06-29</IMAGING_DATE>` and `<IMAGING_TIME>06:37:14.4Z</IMAGING_TIME>`.
    static func fromDIMAP(_ text: String) -> Date? {
        func element(_ name: String) -> String? {
            guard let a = text.range(of: "<\(name)>"), let b = text.range(of: "</\(name)>", range: a.upperBound..<text.endIndex) else { return nil }
            return text[a.upperBound..<b.lowerBound].trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard let day = element("IMAGING_DATE") else { return nil }
        var time = element("IMAGING_TIME") ?? "00:00:00"
        if !time.hasSuffix("Z") { time += "Z" }
        return iso(day + "T" + time)
    }

    /// The first `DS_<mission>_<YYYYMMDDhhmmss><tenth>` in a text.
    static func fromDatasetIdentifier(_ text: String) -> Date? {
        var search = text[...]
        while let r = search.range(of: "DS_") {
            let rest = search[r.upperBound...]
            let mission = rest.prefix { $0 != "_" }
            let digits = rest.dropFirst(mission.count + 1).prefix { $0.isASCII && $0.isNumber }
            if ["PHR1A", "PHR1B", "SPOT6", "SPOT7"].contains(String(mission)), digits.count >= 14 {
                let d = Array(digits).map(String.init)
                let tenth = d.count > 14 ? "." + d[14] : ""
                let text = "\(d[0...3].joined())-\(d[4...5].joined())-\(d[6...7].joined())T\(d[8...9].joined()):\(d[10...11].joined()):\(d[12...13].joined())\(tenth)Z"
                if let date = iso(text) { return date }
            }
            search = rest
        }
        return nil
    }

    static func iso(_ text: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: text) { return d }
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: text)
    }
}
