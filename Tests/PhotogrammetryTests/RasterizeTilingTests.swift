import Photogrammetry
import Raster
import Testing

/// The tiled driver must equal the one-shot rasterisation exactly (bits, counts), for every
/// statistic, with and without hole filling (whose halo crosses tile borders), for tile sizes
/// from 1 cell to more than the grid.
@Suite("Rasterize: tiled == one-shot")
struct RasterizeTilingTests {
    static func assembled(_ cloud: PointCloud, grid: DSMGrid, parameters: RasterizationParameters) throws
        -> (heights: ImageBuffer<Float>, counts: ImageBuffer<UInt32>, tiles: Int) {
        var heights = ImageBuffer<Float>(width: grid.width, height: grid.height, filledWith: -1)
        var counts = ImageBuffer<UInt32>(width: grid.width, height: grid.height, filledWith: .max)
        var tiles = 0
        try rasterizeTiled(cloud, grid: grid, parameters: parameters) { tile in
            tiles += 1
            for y in 0..<tile.window.height {
                for x in 0..<tile.window.width {
                    heights[tile.window.x + x, tile.window.y + y] = tile.heights[x, y]
                    counts[tile.window.x + x, tile.window.y + y] = tile.counts[x, y]
                }
            }
        }
        return (heights, counts, tiles)
    }

    @Test("tile sizes 1, 7, 64 and larger than the grid, all statistics, hole areas 0 and 6",
          arguments: [1, 7, 64, 100])
    func tiledEqualsOneShot(tileSize: Int) throws {
        let grid = try unitGrid(width: 41, height: 29)
        let cloud = syntheticCloud(grid: grid, count: 4000)
        for statistic in CellStatistic.allCases {
            for holes in [0, 6] {
                let parameters = RasterizationParameters(statistic: statistic, maxHoleArea: holes, tileSize: tileSize)
                let reference = rasterizeDSM(cloud, grid: grid, parameters: parameters)
                let tiled = try Self.assembled(cloud, grid: grid, parameters: parameters)
                let expectedTiles = ((41 + tileSize - 1) / tileSize) * ((29 + tileSize - 1) / tileSize)
                #expect(tiled.tiles == expectedTiles)
                #expect(differingCells(tiled.heights, reference.heights) == 0, "\(statistic), holes \(holes), tile \(tileSize)")
                #expect(tiled.counts == reference.counts)
            }
        }
    }

    @Test("the synthetic cloud exercises the cases: empty cells, filled holes, points outside")
    func fixtureIsNotTrivial() throws {
        let grid = try unitGrid(width: 41, height: 29)
        let cloud = syntheticCloud(grid: grid, count: 4000)
        let raw = rasterizeDSM(cloud, grid: grid, parameters: RasterizationParameters(statistic: .median))
        let filled = rasterizeDSM(cloud, grid: grid, parameters: RasterizationParameters(statistic: .median, maxHoleArea: 6))
        let empty = raw.heights.storage.filter(\.isNaN).count
        let stillEmpty = filled.heights.storage.filter(\.isNaN).count
        #expect(empty > 50 && stillEmpty > 0 && stillEmpty < empty, "\(empty) empty, \(stillEmpty) after filling")
        #expect(Int(raw.counts.storage.reduce(0, +)) < cloud.count)  // points outside or NaN dropped
        #expect(raw.counts.storage.max()! >= 3)                       // cells with several points
    }

    @Test("holes of exactly maxArea cells crossing tile borders fill as in one shot", arguments: 1...9)
    func holesAcrossTiles(tileSize: Int) throws {
        // One point per cell of a 20x14 grid, heights varying; then holes cut out: a row of 6,
        // a column of 6, an L of 6 (all filled with maxArea 6) and a row of 7 (left NaN).
        let grid = try unitGrid(width: 20, height: 14)
        var holes = Set<Int>()
        for x in 3...8 { holes.insert(2 * 20 + x) }                          // row of 6
        for y in 5...10 { holes.insert(y * 20 + 2) }                         // column of 6
        for (x, y) in [(12, 5), (12, 6), (12, 7), (13, 7), (14, 7), (15, 7)] { holes.insert(y * 20 + x) }  // L of 6
        for x in 6...12 { holes.insert(12 * 20 + x) }                        // row of 7
        var xs: [Double] = [], ys: [Double] = [], zs: [Double] = []
        for y in 0..<14 {
            for x in 0..<20 where !holes.contains(y * 20 + x) {
                let c = grid.centre(column: x, row: y)
                xs.append(c.x)
                ys.append(c.y)
                zs.append(Double(x * x) + 3 * Double(y))
            }
        }
        let cloud = PointCloud(x: xs, y: ys, z: zs)
        let parameters = RasterizationParameters(statistic: .median, maxHoleArea: 6, tileSize: tileSize)
        let reference = rasterizeDSM(cloud, grid: grid, parameters: parameters)
        let nan = reference.heights.storage.indices.filter { reference.heights.storage[$0].isNaN }
        #expect(nan == Array(12 * 20 + 6 ... 12 * 20 + 12), "only the 7-cell hole stays empty")
        let tiled = try Self.assembled(cloud, grid: grid, parameters: parameters)
        #expect(differingCells(tiled.heights, reference.heights) == 0)
    }

    @Test("a tile size of 0 throws")
    func badTileSize() throws {
        let grid = try unitGrid(width: 4, height: 4)
        #expect(throws: RasterError.self) {
            try rasterizeTiled(PointCloud(x: [], y: [], z: []), grid: grid,
                               parameters: RasterizationParameters(tileSize: 0)) { _ in }
        }
    }
}
