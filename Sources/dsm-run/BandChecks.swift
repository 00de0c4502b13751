import ArgumentParser
import Raster

/// Band numbers of the command line checked against the inputs' band counts before any work,
/// as the other options are (a usage error, exit 64), with one message naming the option, the
/// input and its band count. An input GDAL cannot open is left to the run, which says why.
enum BandChecks {
    static func check(_ bands: [Int], _ option: String, inputs: [(name: String, path: String)]) throws {
        for (name, path) in inputs {
            guard let count = try? Dataset(path: path).bandCount, let bad = bands.first(where: { $0 > count }) else { continue }
            throw ValidationError("\(option) \(bad) is out of range: \(name) (\(path)) has \(count) band\(count == 1 ? "" : "s")")
        }
    }
}
