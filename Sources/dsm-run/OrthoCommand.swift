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

    /// --dem (with --geoid) or a constant --height.
    @OptionGroup(title: "Heights") var heights: HeightOptions

    @Option(help: "Output pixel size in the output CRS's unit: metres, or degrees for a geographic --epsg (default: the image's ground sampling distance, rounded).")
    var resolution: Double?

    @Option(help: "EPSG code of the output CRS (default: UTM zone of the footprint centre).")
    var epsg: Int?

    @Option(help: "Resampling kernel.")
    var resampling: OrthoResampling = .bicubic

    @Option(help: "Bands to keep, e.g. 1,2,3 (default: all).", transform: ArgumentValues.bands)
    var bands: [Int]?

    @OptionGroup var tiles: TileOptions<OrthoTiles>

    @Option(help: "Worker threads (default: the number of cores).")
    var threads: Int?

    @Option(help: "Output pixel type (default: the input's).")
    var type: PixelType?

    @Option(help: "cog: tiles, overviews, mask; gtiff: tiled DEFLATE GeoTIFF with mask, no overviews (about a third faster to write).")
    var format: OutputFormat = .cog

    func validate() throws {
        try NumberChecks.check(epsg, "--epsg", in: NumberChecks.epsgCodes)
        try NumberChecks.pixelSize(resolution, epsg: epsg)
        try NumberChecks.check(threads, "--threads", in: NumberChecks.threads)
        try heights.checkOneSource(required: true)
        try heights.checkGeoidWithDEM()
        var files = RunFiles()
        files.input("IMAGE", image)
        files.input("--rpc", rpc)
        files.input("--dem", heights.dem)
        files.input("--geoid", heights.geoid)
        files.output("--output", output)
        try files.check()
        if let bands { try BandChecks.check(bands, "--bands", inputs: [("IMAGE", image)]) }
    }

    func run() throws {
        boundGDALBlockCache()
        let model = try RPCModel.load(image: image, model: rpc)
        let source: OrthoHeightSource
        if let dem = heights.dem {
            source = .dem(path: dem, geoid: try heights.geoidGrid())
        } else {
            source = .constant(heights.height!)
        }
        let start = Date()
        let ortho = try Orthorectifier(image: image, model: model, heights: source, resolution: resolution, epsg: epsg)
        var options = OrthoOptions(resampling: resampling)
        options.bands = bands
        options.tileSize = tiles.side
        options.threads = threads
        options.outputType = type
        if format == .gtiff { options.writeOptions = .geoTIFF }
        let summary = try ortho.write(to: output, options: options)
        let s = summary.inverseMap
        let share = s.cells > 0 ? 100 * Double(s.interpolatedCells) / Double(s.cells) : 0
        print("\(output): \(summary.grid), \(summary.outputType.rawValue), nodata \(summary.nodata)")
        print(String(format: "valid %.1f %% of the grid; inverse map: %.1f %% of %d cells interpolated (max check error %.4f px), %d exact projections; %.2f s",
                     100 * Double(summary.validPixels) / Double(summary.grid.width * summary.grid.height), share, s.cells,
                     s.maxCheckedError, s.exactEvaluations, Date().timeIntervalSince(start)))
    }
}
