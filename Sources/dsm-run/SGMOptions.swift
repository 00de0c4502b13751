import ArgumentParser
import Photogrammetry

/// The census and semi-global matching options shared by `dsm-run match` and `dsm-run dsm`.
struct SGMOptions: ParsableArguments {
    @Option(help: "Aggregation paths: 8 (default) or 4 (faster).")
    var paths: Int = 8

    @Option(help: "Census window WIDTHxHEIGHT, odd, up to 9x7 (default 5x5).")
    var census: String = "5x5"

    @Option(help: "SGM penalty P1 for one-pixel disparity changes, in census bits (default 8).")
    var p1: Int?

    @Option(help: "SGM penalty P2 for larger disparity changes, in census bits (default 32).")
    var p2: Int?

    @Option(help: "Disparity search: full (every disparity at every pixel; match's default) or pyramid (coarse to fine: a half-resolution match predicts a 32-disparity window per pixel; dsm's default, lighter and faster on ranges of 64 disparities and more).")
    var search: String?

    func validate() throws {
        if let search, DisparitySearch(rawValue: search) == nil { throw ValidationError("--search must be full or pyramid, got \(search)") }
        guard paths == 4 || paths == 8 else { throw ValidationError("--paths must be 4 or 8, got \(paths)") }
        guard censusWindow != nil else { throw ValidationError("--census must be WIDTHxHEIGHT, e.g. 5x5, got \(census)") }
    }

    var censusWindow: (width: Int, height: Int)? {
        let parts = census.split(separator: "x")
        guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]) else { return nil }
        return (w, h)
    }

    /// Sets the census window, paths, penalties and search given on the command line (the
    /// others keep `p`'s values).
    func apply(to p: inout StereoMatchingParameters) {
        if let window = censusWindow { (p.censusWidth, p.censusHeight) = window }
        p.paths = paths == 4 ? .four : .eight
        if let p1 { p.p1 = p1 }
        if let p2 { p.p2 = p2 }
        if let search, let value = DisparitySearch(rawValue: search) { p.search = value }
    }
}
