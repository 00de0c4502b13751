import Raster

/// What `writeDSM` produced.
public struct DSMSummary: Sendable, Hashable {
    public var grid: DSMGrid
    /// Cells with a height (from points or hole filling).
    public var validCells: Int
    /// Cells that received at least one point.
    public var cellsWithPoints: Int
}

/// Rasterises `cloud` into `grid` and writes the DSM to `path` as a Float32 raster (COG by
/// default) with NaN nodata, the grid's geotransform and CRS, and default-domain metadata
/// `VERTICAL_DATUM` (`WGS84 ellipsoid` or `EGM96 geoid`) and `DSM_CELL_STATISTIC`. Works tile
/// by tile (`rasterizeTiled`), so memory is bounded by the tile size whatever the grid size;
/// the file appears under `path` only when complete (`RasterWriter`).
///
/// - Throws: `DSMError.missingCRS` for a geoid datum without EPSG, `RasterError` from writing.
public func writeDSM(
    _ cloud: PointCloud, grid: DSMGrid, to path: String, parameters: RasterizationParameters = .init(),
    datum: VerticalDatum = .ellipsoid, options: WriteOptions = .cog, metadata: [String: String] = [:]
) throws -> DSMSummary {
    let tiling = try rasterizationTiling(grid: grid, parameters: parameters)
    let buckets = TileBuckets(cloud, grid: grid, tiling: tiling)
    return try writeDSM(grid: grid, to: path, parameters: parameters, datum: datum, options: options, metadata: metadata) { tile in
        (cloud, buckets.points(in: tile.window))
    }
}

/// `writeDSM` with each tile's points from `points` (see `rasterizeTiled(grid:parameters:points:body:)`):
/// the out-of-core pipeline's entry, one tile's points in memory at a time.
public func writeDSM(
    grid: DSMGrid, to path: String, parameters: RasterizationParameters = .init(), datum: VerticalDatum = .ellipsoid,
    options: WriteOptions = .cog, metadata extra: [String: String] = [:], points: (Tile) throws -> (PointCloud, [Int32]?)
) throws -> DSMSummary {
    let writer = try dsmWriter(grid: grid, to: path, parameters: parameters, datum: datum, options: options, metadata: extra)
    var summary = DSMSummary(grid: grid, validCells: 0, cellsWithPoints: 0)
    try rasterizeTiled(grid: grid, parameters: parameters, points: points) { tile in
        let heights = try datumHeights(tile, grid: grid, datum: datum)
        summary.validCells += heights.storage.reduce(0) { $0 + ($1.isNaN ? 0 : 1) }
        summary.cellsWithPoints += tile.counts.storage.reduce(0) { $0 + ($1 > 0 ? 1 : 0) }
        try writer.write(heights, x: tile.window.x, y: tile.window.y)
    }
    try writer.commit()
    return summary
}

/// The writer of a DSM: Float32, NaN nodata, the grid's geotransform and CRS (compound with the
/// geoid datum), `VERTICAL_DATUM` and `DSM_CELL_STATISTIC` beside `extra`.
func dsmWriter(
    grid: DSMGrid, to path: String, parameters: RasterizationParameters, datum: VerticalDatum, options: WriteOptions,
    metadata extra: [String: String]
) throws -> RasterWriter {
    if case .geoid = datum, grid.epsg == nil { throw DSMError.missingCRS(source: "the DSM grid") }
    let srs = try grid.epsg.map { try datum.spatialReference(horizontalEPSG: $0) }
    let metadata = ["": ["VERTICAL_DATUM": datum.metadataValue, "DSM_CELL_STATISTIC": parameters.statistic.rawValue]
        .merging(extra) { a, _ in a }]
    return try RasterWriter(path: path, width: grid.width, height: grid.height, type: .float32, options: options,
                            geoTransform: grid.geoTransform, spatialReference: srs, nodata: .nan, metadata: metadata)
}

/// A rasterised tile's heights in `datum` (converted from the ellipsoid for the geoid).
func datumHeights(_ tile: RasterizedWindow, grid: DSMGrid, datum: VerticalDatum) throws -> ImageBuffer<Float> {
    var heights = tile.heights
    if case .geoid(let geoid) = datum {
        try convertToGeoidHeights(&heights, window: tile.window, grid: grid, geoid: geoid)
    }
    return heights
}
