import ArgumentParser
import Photogrammetry

/// The census and semi-global matching options shared by `dsm-run match` and `dsm-run dsm`.
struct SGMOptions: ParsableArguments {
    @Option(help: "Aggregation paths: 8 (default) or 4 (faster).")
    var paths: SGMPaths = .eight

    @Option(help: "Census window WIDTHxHEIGHT, odd, up to 9x7 (default 5x5).")
    var census = CensusWindow(width: 5, height: 5)

    @Option(help: "SGM penalty P1 for one-pixel disparity changes, in census bits (default 8).")
    var p1: Int?

    @Option(help: "SGM penalty P2 for larger disparity changes, in census bits (default 32).")
    var p2: Int?

    @Option(help: "Disparity search: full (every disparity at every pixel; match's default) or pyramid (coarse to fine: a half-resolution match predicts a 32-disparity window per pixel; dsm's default, lighter and faster on ranges of 64 disparities and more).")
    var search: DisparitySearch?

    /// Sets the census window, paths, penalties and search given on the command line (the
    /// others keep `p`'s values).
    func apply(to p: inout StereoMatchingParameters) {
        (p.censusWidth, p.censusHeight) = (census.width, census.height)
        p.paths = paths
        if let p1 { p.p1 = p1 }
        if let p2 { p.p2 = p2 }
        if let search { p.search = search }
    }
}
