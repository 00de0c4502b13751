import ArgumentParser
import Foundation
import Photogrammetry
import Raster

/// `dsm-run ortho IMAGE -o ortho.tif`: orthorectification of a sensor image through its RPC.
struct OrthoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ortho",
        abstract: "Orthorectify an image through its RPC on a DEM, a DSM or a constant height (COG with overviews).",
        discussion: """
            Heights: --dem (SRTM .hgt or any GDAL raster; with --geoid when it is above EGM96, as SRTM) or --height \
            (WGS84 ellipsoid). Grid: UTM zone of the footprint centre (or --epsg), pixel size --resolution (default: \
            the image's ground sampling distance, rounded), extent = the footprint. Output type = the input's; nodata \
            outside the footprint and where the DEM has none (NaN for Float32, 0 for Byte/UInt16).
            """
    )

    @Argument(help: "Sensor image (with its RPC, or see --rpc).")
    var image: String

    @Option(name: .shortAndLong, help: "Output COG; written only when complete.")
    var output: String

    @Option(help: "RPC model of the image (DIMAP XML, .geom, RPC text...); default: embedded or sidecar.")
    var rpc: String?

    @Option(help: "DEM or DSM giving the height of each output pixel (GDAL raster).")
    var dem: String?

    @Option(help: "Constant height (metres above the WGS84 ellipsoid).")
    var height: Double?

    @Option(help: "Geoid grid (e.g. egm96_15.gtx) when the DEM's heights are above it (SRTM).")
    var geoid: String?

    @Option(help: "Output pixel size in the output CRS's unit: metres, or degrees for a geographic --epsg (default: the image's ground sampling distance, rounded).")
    var resolution: Double?

    @Option(help: "EPSG code of the output CRS (default: UTM zone of the footprint centre).")
    var epsg: Int?

    @Option(help: "nearest, bilinear, bicubic (default) or lanczos.")
    var resampling: String = "bicubic"

    @Option(help: "Bands to keep, e.g. 1,2,3 (default: all).")
    var bands: String?

    @Option(help: "Output tile side in pixels (default 512).")
    var tile: Int = 512

    @Option(help: "Worker threads (default: the number of cores).")
    var threads: Int?

    @Option(help: "Output pixel type: Byte, UInt16, Int16 or Float32 (default: the input's).")
    var type: String?

    @Option(help: "cog (default: tiles, overviews, mask) or gtiff (tiled DEFLATE GeoTIFF with mask, no overviews: about a third faster to write).")
    var format: String = "cog"

    func validate() throws {
        try NumberChecks.height(height)
        try NumberChecks.check(epsg, "--epsg", in: NumberChecks.epsgCodes)
        try NumberChecks.pixelSize(resolution, epsg: epsg)
        try NumberChecks.check(tile, "--tile", in: 16...8_192, unit: "pixels")
        try NumberChecks.check(threads, "--threads", in: NumberChecks.threads)
        guard ["cog", "gtiff"].contains(format) else { throw ValidationError("--format is cog or gtiff, got '\(format)'") }
        guard (dem == nil) != (height == nil) else { throw ValidationError("give exactly one of --dem DEM and --height H") }
        if let resolution, !(resolution > 0 && resolution.isFinite) {
            throw ValidationError("--resolution must be a positive number of metres, got \(resolution)")
        }
        guard OrthoResampling(rawValue: resampling) != nil else {
            throw ValidationError("--resampling must be one of \(OrthoResampling.allCases.map(\.rawValue).joined(separator: ", ")), got \(resampling)")
        }
        if let type, PixelType(rawValue: type) == nil { throw ValidationError("--type must be Byte, UInt16, Int16 or Float32, got \(type)") }
        if let bands, parsedBands(bands) == nil { throw ValidationError("--bands takes 1-based band numbers separated by commas, got \(bands)") }
        if geoid != nil, dem == nil { throw ValidationError("--geoid goes with --dem") }
        var files = RunFiles()
        files.input("IMAGE", image)
        files.input("--rpc", rpc)
        files.input("--dem", dem)
        files.input("--geoid", geoid)
        files.output("--output", output)
        try files.check()
    }

    private func parsedBands(_ text: String) -> [Int]? {
        let values = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ $0 != nil && $0! >= 1 }) else { return nil }
        return values.map { $0! }
    }

    func run() throws {
        boundGDALBlockCache()
        let model = try RPCModel.load(image: image, model: rpc)
        let heights: OrthoHeightSource
        if let dem {
            heights = .dem(path: dem, geoid: try geoid.map { try Geoid(path: $0) })
        } else {
            heights = .constant(height!)
        }
        let start = Date()
        let ortho = try Orthorectifier(image: image, model: model, heights: heights, resolution: resolution, epsg: epsg)
        var options = OrthoOptions(resampling: OrthoResampling(rawValue: resampling)!)
        options.bands = bands.flatMap(parsedBands)
        options.tileSize = tile
        options.threads = threads
        options.outputType = type.flatMap { PixelType(rawValue: $0) }
        if format == "gtiff" { options.writeOptions = .geoTIFF }
        let summary = try ortho.write(to: output, options: options)
        let s = summary.inverseMap
        let share = s.cells > 0 ? 100 * Double(s.interpolatedCells) / Double(s.cells) : 0
        print("\(output): \(summary.grid), \(summary.outputType.rawValue), nodata \(summary.nodata)")
        print(String(format: "valid %.1f %% of the grid; inverse map: %.1f %% of %d cells interpolated (max check error %.4f px), %d exact projections; %.2f s",
                     100 * Double(summary.validPixels) / Double(summary.grid.width * summary.grid.height), share, s.cells,
                     s.maxCheckedError, s.exactEvaluations, Date().timeIntervalSince(start)))
    }
}
