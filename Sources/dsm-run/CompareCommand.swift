import ArgumentParser
import Photogrammetry
import Raster

/// `dsm-run compare DSM REFERENCE`: height differences against a reference DSM (hidden; used by
/// Benchmarks/dsm-compare.sh).
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare a DSM with a reference DSM on the reference's grid: median and NMAD of the difference, valid share.",
        shouldDisplay: false
    )

    @Argument(help: "The DSM to assess.")
    var dsm: String

    @Argument(help: "The reference DSM (same CRS, north-up).")
    var reference: String

    @Option(help: "Only reference cells seen inside this window COL,ROW,WIDTH,HEIGHT of --image.", transform: ArgumentValues.roi)
    var roi: Window?

    @Option(help: "The image (with its RPC) the --roi is in.")
    var image: String?

    @Option(help: "EPSG code of the reference's CRS, when its own is not identified.")
    var referenceEpsg: Int?

    @Option(help: "EGM96 geoid grid (e.g. egm96_15.gtx): converts heights when one DSM is ellipsoidal and the other EGM96.")
    var geoid: String?

    func validate() throws {
        try NumberChecks.check(referenceEpsg, "--reference-epsg", in: NumberChecks.epsgCodes)
        guard (roi == nil) == (image == nil) else { throw ValidationError("--roi and --image go together") }
        var files = RunFiles()
        files.input("DSM", dsm)
        files.input("REFERENCE", reference)
        files.input("--image", image)
        try files.check()
    }

    func run() throws {
        var region: (RPCModel, Window)?
        if let roi, let image { region = (try StereoImage.load(image).model, roi) }
        let grid = try geoid.map { try Geoid(path: $0) }
        print(try DSMComparison.compare(dsm: dsm, reference: reference, region: region, referenceEPSG: referenceEpsg, geoid: grid))
    }
}
