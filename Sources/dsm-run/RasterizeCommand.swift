import ArgumentParser
import Photogrammetry
import Raster

/// `dsm-run rasterize CLOUD.ply -o dsm.tif --resolution R`: a point cloud to a DSM (hidden
/// until the end-to-end `dsm-run` pipeline exposes the step).
struct RasterizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rasterize",
        abstract: "Rasterise a PLY point cloud (projected CRS) into a Float32 COG DSM, NaN where no point fell.",
        discussion: """
            The grid is s2p plyflatten's: corners snapped to multiples of the resolution around the points. \
            A geographic cloud (e.g. EPSG 4326) goes to its UTM zone unless --epsg says otherwise. \
            Heights stay those of the cloud (WGS84 ellipsoid for RPC clouds) unless --datum egm96.
            """,
        shouldDisplay: false
    )

    enum Statistic: String, EnumerableFlag {
        case median, mean, plyflatten
        static func help(for value: Statistic) -> ArgumentHelp? {
            switch value {
            case .median: "Per-cell median of the heights (default)."
            case .mean: "Per-cell mean of the heights."
            case .plyflatten: "s2p plyflatten's Float32 running mean (bit-identical to s2p)."
            }
        }
    }

    @Argument(help: "Input PLY point cloud (x, y, z in a projected CRS).")
    var cloud: String

    @Option(name: .shortAndLong, help: "Output DSM (COG, Float32, NaN nodata).")
    var output: String

    @Option(help: "Cell size in metres.")
    var resolution: Double

    @Flag(help: "How the heights of a cell's points are combined.")
    var statistic: Statistic = .median

    @Option(help: "EPSG code of the output grid's CRS; the cloud is reprojected if it differs (default: the cloud's CRS if projected, else its UTM zone).")
    var epsg: Int?

    @Option(help: "EPSG code of the cloud's CRS (default: from the PLY's 'projection' comment).")
    var cloudEpsg: Int?

    @Option(help: "Fill holes of at most this many cells (8-connected); 0 = none (default).")
    var maxHoleArea: Int = 0

    @Option(help: "Vertical datum of the output (egm96 needs --geoid).")
    var datum: DatumChoice = .ellipsoid

    @Option(help: "Geoid grid for --datum egm96, e.g. egm96_15.gtx.")
    var geoid: String?

    @OptionGroup var tiles: TileOptions<RasterizeTiles>

    func validate() throws {
        try NumberChecks.check(resolution, "--resolution", in: NumberChecks.pixelSizes, unit: "metres")
        try NumberChecks.check(epsg, "--epsg", in: NumberChecks.epsgCodes)
        try NumberChecks.check(cloudEpsg, "--cloud-epsg", in: NumberChecks.epsgCodes)
        guard maxHoleArea >= 0 else { throw ValidationError("--max-hole-area must not be negative") }
        if datum == .egm96 && geoid == nil { throw ValidationError("--datum egm96 needs --geoid PATH") }
        var files = RunFiles()
        files.input("CLOUD", cloud)
        files.input("--geoid", geoid)
        files.output("--output", output)
        try files.check()
    }

    func run() throws {
        let points = try PLYReader.read(path: cloud, epsg: cloudEpsg).inGridCRS(epsg: epsg, source: cloud)
        let grid = try DSMGrid.plyflatten(cloud: points, resolution: resolution, source: cloud)
        var vertical = VerticalDatum.ellipsoid
        if datum == .egm96, let geoid { vertical = .geoid(try Geoid(path: geoid)) }
        let cellStatistic: CellStatistic = switch statistic {
        case .median: .median
        case .mean: .mean
        case .plyflatten: .plyflattenMean
        }
        let parameters = RasterizationParameters(statistic: cellStatistic, maxHoleArea: maxHoleArea, tileSize: tiles.side)
        let summary = try writeDSM(points, grid: grid, to: output, parameters: parameters, datum: vertical)
        print("wrote \(output): \(grid.width)x\(grid.height) cells of \(resolution) m, EPSG \(grid.epsg.map(String.init) ?? "none"), "
              + "\(summary.validCells) valid (\(summary.cellsWithPoints) with points), \(vertical.metadataValue)")
    }
}
