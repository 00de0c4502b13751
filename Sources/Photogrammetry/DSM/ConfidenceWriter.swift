import Raster

/// Writes the per-cell confidence of a DSM on its grid (`dsm-run dsm --confidence`): a Float32
/// raster (COG by default), NaN nodata, two bands:
///
/// 1. `confidence`: the mean, over the points that fell in the cell, of the matcher's confidence
///    of the disparity that made each point (`StereoMatchResult.confidence`, the ambiguity of
///    the cost curve: 1 = one sharp minimum, 0 = flat), in [0, 1]. NaN where no point fell,
///    including the cells the DSM's hole filling gave a height to: those are interpolated.
/// 2. `points`: the number of points in the cell (all pairs), 0 where none.
///
/// `cloud.z` holds the per-point confidences (x, y as the DSM's points). Tile by tile
/// (`rasterizeTiled`, no hole filling), so memory is bounded by the tile size; the file appears
/// at `path` only when complete.
///
/// - Complexity: O(n + cells) time; one tile of cells plus 4n bytes of buckets.
/// - Throws: `RasterError` from writing.
public func writeConfidence(_ cloud: PointCloud, grid: DSMGrid, to path: String, tileSize: Int = 512,
                            options: WriteOptions = .cog) throws {
    let parameters = RasterizationParameters(statistic: .mean, maxHoleArea: 0, tileSize: tileSize)
    let tiling = try rasterizationTiling(grid: grid, parameters: parameters)
    let buckets = TileBuckets(cloud, grid: grid, tiling: tiling)
    try writeConfidence(grid: grid, to: path, tileSize: tileSize, options: options) { tile in (cloud, buckets.points(in: tile.window)) }
}

/// `writeConfidence` with each tile's points (z = confidence) from `points` (see
/// `rasterizeTiled(grid:parameters:points:body:)`; tiles of `tileSize`, no halo).
public func writeConfidence(grid: DSMGrid, to path: String, tileSize: Int = 512, options: WriteOptions = .cog,
                            points: (Tile) throws -> (PointCloud, [Int32]?)) throws {
    let writer = try confidenceWriter(grid: grid, to: path, options: options)
    let parameters = RasterizationParameters(statistic: .mean, maxHoleArea: 0, tileSize: tileSize)
    try rasterizeTiled(grid: grid, parameters: parameters, points: points) { tile in
        try writer.write(confidenceBands(tile), x: tile.window.x, y: tile.window.y)
    }
    try writer.commit()
}

/// The writer of a confidence raster (two Float32 bands, NaN nodata, the grid's CRS).
func confidenceWriter(grid: DSMGrid, to path: String, options: WriteOptions) throws -> RasterWriter {
    let srs = try grid.epsg.map { try SpatialReference(epsg: $0) }
    return try RasterWriter(path: path, width: grid.width, height: grid.height, bands: 2, type: .float32, options: options,
                            geoTransform: grid.geoTransform, spatialReference: srs, nodata: .nan,
                            bandDescriptions: ["confidence", "points"],
                            metadata: ["": ["CONFIDENCE": "mean matcher ambiguity confidence of the cell's points (band 1), point count (band 2)"]])
}

/// A rasterised tile of confidences (mean) as the raster's two bands: the mean, the count.
func confidenceBands(_ tile: RasterizedWindow) -> ImageBuffer<Float> {
    let w = tile.window.width, h = tile.window.height
    var pixels = tile.heights.packedBand(0)
    pixels.reserveCapacity(2 * w * h)
    pixels += tile.counts.packedBand(0).map { Float($0) }
    return ImageBuffer(width: w, height: h, bands: 2, pixels: pixels)
}
