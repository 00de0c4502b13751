import ArgumentParser
import Foundation
import Photogrammetry

/// `dsm-run pwh PRODUCT -o OUTDIR`: the Pléiades World Heritage recipe (`PWHRecipe.run`).
struct PWHCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pwh",
        abstract: "Reflectance, pan-sharpening and orthorectification of a Pléiades / SPOT product: COG + STAC Item.",
        discussion: """
            PRODUCT is a primary (sensor) product folder holding a DIM_*_P_*.XML and a DIM_*_MS_*.XML with their \
            RPC_*.XML and images; or give --pan and --ms (with --pan-rpc / --ms-rpc, e.g. the Ventoux crops' .geom \
            files, which also hold the radiometric fields). Heights: --dem (with --geoid when its heights are above \
            EGM96, as SRTM's) or a constant --height (WGS84 ellipsoid), said in the output's metadata. Writes \
            OUTDIR/<id>.tif (4 bands UInt16 TOA reflectance x 10,000, COG with overviews and mask) and \
            OUTDIR/<id>.json (STAC Item 1.0), only when both are complete.
            """
    )

    @Argument(help: "Primary product folder (omit with --pan and --ms).")
    var product: String?

    @Option(name: .shortAndLong, help: "Output folder (created when missing).")
    var output: String

    @Option(help: "Panchromatic image (instead of PRODUCT).")
    var pan: String?

    @Option(help: "Multispectral image of the same acquisition (instead of PRODUCT).")
    var ms: String?

    @Option(help: "RPC model of the PAN (full scene; crop offset applied); default: found next to it.")
    var panRpc: String?

    @Option(help: "RPC model of the MS; default: found next to it.")
    var msRpc: String?

    @Option(help: "Radiometric metadata of the PAN (DIMAP or .geom); default: next to it, else --pan-rpc when a .geom.")
    var panDimap: String?

    @Option(help: "Radiometric metadata of the MS; default: next to it, else --ms-rpc when a .geom.")
    var msDimap: String?

    /// --dem (with --geoid) or a constant --height; one is required.
    @OptionGroup(title: "Heights") var heights: HeightOptions

    @Option(help: "Output pixel size in metres (default: the PAN's ground sampling distance, rounded).")
    var resolution: Double?

    @Option(help: "EPSG code of the output CRS (default: UTM zone of the footprint centre).")
    var epsg: Int?

    @Option(help: "Pan-sharpening method.")
    var method: PansharpenMethod = .gsa

    @Flag(inversion: .prefixedNo, help: "Measure and remove a residual PAN/MS shift before fusing.")
    var register = true

    @OptionGroup var tiles: TileOptions<PWHTiles>

    @Option(help: "Worker threads of the ortho step (default: the number of cores).")
    var threads: Int?

    func validate() throws {
        try NumberChecks.check(epsg, "--epsg", in: NumberChecks.epsgCodes)
        try NumberChecks.pixelSize(resolution, epsg: epsg)
        try NumberChecks.check(threads, "--threads", in: NumberChecks.threads)
        guard (product == nil) != (pan == nil && ms == nil) else {
            throw ValidationError("give a PRODUCT folder, or --pan and --ms, not both")
        }
        if product == nil, pan == nil || ms == nil { throw ValidationError("--pan and --ms go together") }
        try heights.checkGeoidWithDEM()
        // The RPC's height offset is no terrain height (on a sample scene 1075 m where the terrain
        // is about 530 m: the product misplaced by about 86 m), so the heights are asked for.
        try heights.checkOneSource(required: true)
        var files = RunFiles()
        files.input("PRODUCT", product)
        files.input("--pan", pan)
        files.input("--ms", ms)
        files.input("--pan-rpc", panRpc)
        files.input("--ms-rpc", msRpc)
        files.input("--pan-dimap", panDimap)
        files.input("--ms-dimap", msDimap)
        files.input("--dem", heights.dem)
        files.input("--geoid", heights.geoid)
        files.output("--output", output, kind: .folder)
        try files.check()
    }

    func run() throws {
        var request = product.map { PWHRequest(product: $0, outputFolder: output) } ?? PWHRequest(pan: pan!, ms: ms!, outputFolder: output)
        request.panModel = panRpc
        request.msModel = msRpc
        request.panMetadata = panDimap
        request.msMetadata = msDimap
        request.dem = heights.dem
        request.height = heights.height
        request.geoid = heights.geoid
        request.resolution = resolution
        request.epsg = epsg
        request.method = method.rawValue
        request.register = register
        request.tileSize = tiles.side
        request.threads = threads
        let start = Date()
        let hints = [pan.map { ($0, "--pan-dimap") }, ms.map { ($0, "--ms-dimap") }].compactMap { $0 }
        let result = try MissingMetadata.naming(Dictionary(hints, uniquingKeysWith: { a, _ in a })) {
            try PWHRecipe.run(request, progress: { p in
                Console.error(String(format: "[%3.0f %%] %@: %@\n", 100 * p.fraction, p.step.rawValue, p.message))
            })
        }
        print("\(result.image): EPSG:\(result.epsg), \(result.width)x\(result.height) px of \(result.resolution)\(OrthoGrid.unitSuffix(epsg: result.epsg)), "
              + String(format: "valid %.1f %%", 100 * result.validFraction))
        print("heights: \(result.heightSource); PAN/MS relation: \(result.relation)")
        print("\(result.item): STAC Item")
        print(String(format: "%.2f s", Date().timeIntervalSince(start)))
    }
}
