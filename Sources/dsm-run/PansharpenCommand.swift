import ArgumentParser
import Foundation
import Photogrammetry
import Raster

/// `dsm-run pansharpen PAN MS -o out.tif [--method gsa|brovey]`: pan-sharpening in sensor geometry.
struct PansharpenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pansharpen",
        abstract: "Pan-sharpen an MS image with the PAN of the same acquisition, in the PAN's sensor geometry (COG).",
        discussion: """
            PAN and MS are related through their RPC models (crop offsets applied; --pan-rpc / --ms-rpc for external \
            full-scene models) or, with --ratio 4, by the nominal Pléiades / SPOT 6-7 grids (MS pixel k centred on PAN \
            pixel 4k + 1.5, crop offsets from the images). The MS is upsampled bicubically onto the PAN grid, then \
            fused: gsa (Gram-Schmidt adaptive, Aiazzi 2007; the default) or brovey.
            """
    )

    @Argument(help: "Panchromatic image (one band).")
    var pan: String

    @Argument(help: "Multispectral image of the same acquisition.")
    var ms: String

    @Option(name: .shortAndLong, help: "Output (PAN size, MS bands); written only when complete.")
    var output: String

    @Option(help: "Fusion method.")
    var method: PansharpenMethod = .gsa

    @Option(help: "RPC model of the PAN (full scene; the crop offset is applied).")
    var panRpc: String?

    @Option(help: "RPC model of the MS (full scene; the crop offset is applied).")
    var msRpc: String?

    @Option(help: "Terrain height (WGS84 ellipsoid, metres) for the RPC relation (default: the PAN model's height offset).")
    var height: Double?

    @Option(help: "Relate the images by this resolution ratio instead of their RPCs (4 for Pléiades / SPOT 6-7).")
    var ratio: Int?

    @Flag(help: "Measure and remove a residual PAN/MS shift on the images (correlation) before fusing.")
    var register = false

    @Flag(help: "Fuse in top-of-atmosphere reflectance (output x 10,000 in UInt16), from each image's metadata.")
    var reflectance = false

    @Option(help: "Radiometric metadata of the PAN for --reflectance (DIMAP or .geom; default: found next to it).")
    var panDimap: String?

    @Option(help: "Radiometric metadata of the MS for --reflectance (DIMAP or .geom; default: found next to it).")
    var msDimap: String?

    @Option(help: "Output pixel type.")
    var type: FusedType = .uint16

    @OptionGroup var tiles: TileOptions<PansharpenTiles>

    func validate() throws {
        try NumberChecks.height(height)
        try NumberChecks.check(ratio, "--ratio", in: 2...64)
        if !reflectance && (panDimap != nil || msDimap != nil) { throw ValidationError("--pan-dimap and --ms-dimap go with --reflectance") }
        var files = RunFiles()
        files.input("PAN", pan)
        files.input("MS", ms)
        files.distinct("MS", from: "PAN")
        files.input("--pan-rpc", panRpc)
        files.input("--ms-rpc", msRpc)
        files.input("--pan-dimap", panDimap)
        files.input("--ms-dimap", msDimap)
        files.output("--output", output)
        try files.check()
    }

    func run() throws {
        var c = PansharpenConfiguration(pan: pan, ms: ms, output: output)
        c.method = method
        c.panModel = panRpc
        c.msModel = msRpc
        c.ratio = ratio
        c.terrainHeight = height
        c.register = register
        if reflectance {
            try MissingMetadata.naming([pan: "--pan-dimap", ms: "--ms-dimap"]) {
                c.panRadiometry = try RadiometricMetadata.load(contentsOf: try panDimap ?? RadiometricMetadata.find(forImage: pan))
                c.msRadiometry = try RadiometricMetadata.load(contentsOf: try msDimap ?? RadiometricMetadata.find(forImage: ms))
            }
        }
        c.outputType = type.pixelType
        c.tileSize = tiles.side
        let s = try pansharpenFiles(c)
        let m = s.geometry.msFromPan
        print("pansharpen \(s.width)x\(s.height), \(s.bands) band(s), method \(c.method.rawValue), relation \(s.relation)"
              + (reflectance ? ", in TOA reflectance x 10,000" : ""))
        print(String(format: "MS = [%.6f %.6f %.4f; %.6f %.6f %.4f] · PAN (affine residual %.4f MS px)",
                     m.a, m.b, m.c, m.d, m.e, m.f, s.geometry.maxResidual))
        if let r = s.registration {
            print(String(format: "registration: MS shifted by (%+.3f, %+.3f) px, correlation %.4f (%.4f before)",
                         r.shift.x, r.shift.y, r.correlation, r.correlationAtZero))
        }
        print("weights \(s.parameters.weights.map { String(format: "%.4f", $0) }.joined(separator: " ")), "
              + "gains \(s.parameters.gains.map { String(format: "%.4f", $0) }.joined(separator: " "))")
        print("wrote \(output)")
    }
}
