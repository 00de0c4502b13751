import Raster

/// Parameters of the rasterisation of a cloud into a DSM grid.
public struct RasterizationParameters: Sendable, Hashable {
    /// How the points of a cell make its height (median by default).
    public var statistic: CellStatistic
    /// Holes (8-connected NaN regions) of at most this many cells are filled; 0 = none.
    public var maxHoleArea: Int
    /// Output tile side in cells: memory is bounded by a tile plus its halo (`maxHoleArea`).
    public var tileSize: Int

    public init(statistic: CellStatistic = .median, maxHoleArea: Int = 0, tileSize: Int = 512) {
        self.statistic = statistic
        self.maxHoleArea = maxHoleArea
        self.tileSize = tileSize
    }
}

/// Rasterises `cloud` into `grid` tile by tile (row-major tiles of `tileSize` cells), calling
/// `body` with each tile's core, in order. Each tile is computed on its core grown by a halo of
/// `maxHoleArea` cells (for the hole filling, see `fillSmallHoles`) from the points of that
/// window only, so the tiles are exactly the matching windows of the one-shot `rasterizeDSM`:
/// they merge without seams.
///
/// - Complexity: O(n) to bucket the n points by tile (a counting sort of Int32 indices), then
///   per tile the cost of `rasterizeCloud` and `fillSmallHoles` on its padded window. Memory
///   beyond the cloud: 4n bytes of buckets (8n while they are built) plus one padded tile;
///   never the whole grid.
/// - Throws: `RasterError` for a tile size below 1, and whatever `body` throws.
public func rasterizeTiled(
    _ cloud: PointCloud, grid: DSMGrid, parameters: RasterizationParameters,
    body: (RasterizedWindow) throws -> Void
) throws {
    let tiling = try rasterizationTiling(grid: grid, parameters: parameters)
    let buckets = TileBuckets(cloud, grid: grid, tiling: tiling)
    try rasterizeTiled(grid: grid, parameters: parameters, points: { tile in (cloud, buckets.points(in: tile.window)) }, body: body)
}

/// The tiles `rasterizeTiled` works on: `parameters.tileSize` cells, a halo of `maxHoleArea`.
/// - Throws: `RasterError` for a tile size below 1.
public func rasterizationTiling(grid: DSMGrid, parameters: RasterizationParameters) throws -> Tiling {
    try Tiling(width: grid.width, height: grid.height, tileWidth: parameters.tileSize, halo: max(0, parameters.maxHoleArea))
}

/// `rasterizeTiled` with each tile's points from `points`: a cloud and, optionally, the indices
/// of its points to consider in increasing order (nil: all). The cloud must hold, in the
/// whole cloud's order, at least the points falling in the tile's padded window (`tile.window`);
/// the others are ignored. The out-of-core pipeline reads them from a per-tile file
/// (`PointSpill`), so only one tile's points are in memory.
///
/// - Complexity: per tile the cost of `rasterizeCloud` and `fillSmallHoles` on its padded
///   window; memory one padded tile plus what `points` returns.
public func rasterizeTiled(
    grid: DSMGrid, parameters: RasterizationParameters, points: (Tile) throws -> (PointCloud, [Int32]?),
    body: (RasterizedWindow) throws -> Void
) throws {
    for tile in try rasterizationTiling(grid: grid, parameters: parameters) {
        let (cloud, indices) = try points(tile)
        try body(rasterizeTile(tile, cloud: cloud, points: indices, grid: grid, parameters: parameters))
    }
}

/// One tile of `rasterizeTiled`: the cell statistic over the tile's padded window, small holes
/// filled within it (edges on the grid's border left open), cropped to the core.
func rasterizeTile(_ tile: Tile, cloud: PointCloud, points: [Int32]? = nil, grid: DSMGrid,
                   parameters: RasterizationParameters) -> RasterizedWindow {
    var result = rasterizeCloud(cloud, grid: grid, window: tile.window, statistic: parameters.statistic, points: points)
    if parameters.maxHoleArea > 0 {
        fillSmallHoles(&result.heights, maxArea: parameters.maxHoleArea,
                       openEdges: OpenEdges(window: tile.window, gridWidth: grid.width, gridHeight: grid.height))
    }
    guard tile.window != tile.core else { return result }
    let inner = tile.coreInWindow
    return RasterizedWindow(window: tile.core, heights: result.heights.cropped(to: inner), counts: result.counts.cropped(to: inner))
}

/// The whole grid at once (heights, counts, small holes filled): the reference the tiled
/// driver equals. Memory O(grid cells).
public func rasterizeDSM(_ cloud: PointCloud, grid: DSMGrid, parameters: RasterizationParameters = .init()) -> RasterizedWindow {
    var result = rasterizeCloud(cloud, grid: grid, window: grid.window, statistic: parameters.statistic)
    fillSmallHoles(&result.heights, maxArea: parameters.maxHoleArea)
    return result
}

/// The indices of the points falling in each tile core, in increasing order (a counting sort by
/// tile). Points outside the grid or with a non-finite coordinate are dropped.
struct TileBuckets {
    let tiling: Tiling
    /// Point indices grouped by tile; tile t's are `indices[starts[t]..<starts[t + 1]]`.
    let indices: [Int32]
    let starts: [Int]

    init(_ cloud: PointCloud, grid: DSMGrid, tiling: Tiling) {
        precondition(cloud.count < Int(Int32.max), "TileBuckets: more than 2^31 points")
        self.tiling = tiling
        let tileCount = tiling.count
        var tileOf = [Int32](repeating: -1, count: cloud.count)
        var counts = [Int](repeating: 0, count: tileCount + 1)
        let w = Double(grid.width), h = Double(grid.height)
        for i in 0..<cloud.count where cloud.z[i].isFinite {
            let c = grid.column(x: cloud.x[i]), r = grid.row(y: cloud.y[i])
            guard c >= 0, c < w, r >= 0, r < h else { continue }
            let t = (Int(r) / tiling.tileHeight) * tiling.columns + Int(c) / tiling.tileWidth
            tileOf[i] = Int32(t)
            counts[t + 1] += 1
        }
        for t in 0..<tileCount { counts[t + 1] += counts[t] }
        var next = counts
        var indices = [Int32](repeating: 0, count: counts[tileCount])
        for i in 0..<cloud.count where tileOf[i] >= 0 {
            let t = Int(tileOf[i])
            indices[next[t]] = Int32(i)
            next[t] += 1
        }
        self.indices = indices
        self.starts = counts
    }

    /// The points of every tile whose core meets `window`, in increasing order.
    func points(in window: Window) -> [Int32] {
        let c0 = window.x / tiling.tileWidth, c1 = (window.maxX - 1) / tiling.tileWidth
        let r0 = window.y / tiling.tileHeight, r1 = (window.maxY - 1) / tiling.tileHeight
        var out: [Int32] = []
        for r in r0...r1 {
            for c in c0...c1 {
                let t = r * tiling.columns + c
                out.append(contentsOf: indices[starts[t]..<starts[t + 1]])
            }
        }
        if r0 != r1 || c0 != c1 { out.sort() }
        return out
    }
}
