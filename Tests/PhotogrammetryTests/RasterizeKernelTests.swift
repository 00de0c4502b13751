import Photogrammetry
import Raster
import Testing

/// Rasterisation kernels and grids on small clouds whose answers are worked out by hand.
@Suite("Rasterize: kernels and grids")
struct RasterizeKernelTests {
    /// 3x2 cells of 1 m, top-left corner (100, 200): cell (c, r) covers x in [100+c, 101+c),
    /// y in (199-r, 200-r].
    static func handCloud() -> PointCloud {
        let points: [(Double, Double, Double)] = [
            (100.5, 199.5, 1), (100.2, 199.9, 10), (100.7, 199.1, 2),  // cell (0, 0): mean 13/3, median 2
            (101.5, 199.5, 4), (101.1, 199.6, 6),                      // cell (1, 0): mean 5, median 5
            (102.5, 198.5, 7),                                         // cell (2, 1)
            (99.9, 199.5, 1000), (103.0, 199.5, 1000),                 // west of and on the east edge: outside
            (100.5, 200.1, 1000), (100.5, 198.0, 1000),                // north of and on the south edge: outside
            (.nan, 199.5, 1000), (100.5, .infinity, 1000), (100.5, 199.5, .nan),  // not finite: ignored
        ]
        return PointCloud(x: points.map(\.0), y: points.map(\.1), z: points.map(\.2), epsg: 32631)
    }

    @Test("mean, median and plyflatten mean of hand-made cells; empty cells NaN with count 0")
    func knownAnswers() throws {
        let grid = try unitGrid(width: 3, height: 2)
        let cloud = Self.handCloud()
        let mean = rasterizeCloud(cloud, grid: grid, window: grid.window, statistic: .mean)
        let median = rasterizeCloud(cloud, grid: grid, window: grid.window, statistic: .median)
        let ply = rasterizeCloud(cloud, grid: grid, window: grid.window, statistic: .plyflattenMean)
        #expect(mean.counts.storage == [3, 2, 0, 0, 0, 1])
        #expect(median.counts == mean.counts && ply.counts == mean.counts)
        #expect(mean.heights[0, 0] == Float(13.0 / 3.0))
        #expect(median.heights[0, 0] == 2)
        #expect(mean.heights[1, 0] == 5 && median.heights[1, 0] == 5)
        #expect(mean.heights[2, 1] == 7 && median.heights[2, 1] == 7 && ply.heights[2, 1] == 7)
        // Running Float average of 1, 10, 2: (1), (10 + 1) / 2 = 5.5, (2 + 11) / 3.
        #expect(ply.heights[0, 0] == Float(13.0 / 3.0))
        for (x, y) in [(2, 0), (0, 1), (1, 1)] {
            #expect(mean.heights[x, y].isNaN && median.heights[x, y].isNaN && ply.heights[x, y].isNaN)
        }
    }

    @Test("median of an even count is the mean of the two middle heights; outliers do not move it")
    func medianEven() throws {
        let grid = try unitGrid(width: 1, height: 1)
        let z: [Double] = [3, 1, 1000, 2, -500, 4]  // sorted: -500 1 2 3 4 1000 -> (2 + 3) / 2
        let cloud = PointCloud(x: [Double](repeating: 100.5, count: 6), y: [Double](repeating: 199.5, count: 6), z: z)
        let median = rasterizeCloud(cloud, grid: grid, window: grid.window, statistic: .median)
        #expect(median.heights[0, 0] == 2.5)
        let mean = rasterizeCloud(cloud, grid: grid, window: grid.window, statistic: .mean)
        #expect(mean.heights[0, 0] == Float(510.0 / 6.0))
    }

    @Test("points on cell edges go to the east / south cell (floor), as in plyflatten")
    func cellEdges() throws {
        let grid = try unitGrid(width: 3, height: 3)
        // x = 101 is the edge between columns 0 and 1; y = 199 the edge between rows 0 and 1.
        let cloud = PointCloud(x: [100, 101, 102, 100.5, 100.5], y: [200, 199.5, 199.5, 199, 198], z: [1, 2, 3, 4, 5])
        let r = rasterizeCloud(cloud, grid: grid, window: grid.window, statistic: .mean)
        #expect(r.heights[0, 0] == 1)  // the top-left corner itself is in cell (0, 0)
        #expect(r.heights[1, 0] == 2 && r.heights[2, 0] == 3)
        #expect(r.heights[0, 1] == 4 && r.heights[0, 2] == 5)
        #expect(r.counts.storage.reduce(0, +) == 5)
    }

    @Test("a window equals the same crop of the whole grid; a point subset counts only those points")
    func windows() throws {
        let grid = try unitGrid(width: 23, height: 17)
        let cloud = syntheticCloud(grid: grid, count: 3000)
        for statistic in CellStatistic.allCases {
            let whole = rasterizeCloud(cloud, grid: grid, window: grid.window, statistic: statistic)
            let window = Window(x: 5, y: 3, width: 11, height: 9)
            let part = rasterizeCloud(cloud, grid: grid, window: window, statistic: statistic)
            #expect(identicalHeights(part.heights, whole.heights.cropped(to: window)), "\(statistic)")
            #expect(part.counts == whole.counts.cropped(to: window))
        }
        let some = rasterizeCloud(cloud, grid: grid, window: grid.window, statistic: .mean, points: [0, 1, 2])
        #expect(some.counts.storage.reduce(0, +) <= 3)
        let none = rasterizeCloud(cloud, grid: grid, window: grid.window, statistic: .median, points: [])
        #expect(none.heights.storage.allSatisfy(\.isNaN) && none.counts.storage.allSatisfy { $0 == 0 })
    }

    @Test("plyflatten grid: corners snapped outwards to the resolution, every point inside")
    func plyflattenGrid() throws {
        let bounds = GroundBounds(minX: 100.3, minY: 50.2, maxX: 102.0, maxY: 51.9)
        let grid = try DSMGrid.plyflatten(bounds: bounds, resolution: 0.5, epsg: 32631)
        #expect(grid.originX == 100.0 && grid.originY == 52.0)
        // x up to 102.0 -> column 4, width 5. y down to 50.2 -> row 3, but plyflatten's
        // height = 1 - floor((minY - originY) / r) = 1 + ceil(3.6) = 5: an extra, empty last row
        // whenever minY is not on a cell edge (the reference DSM has it too: 477 rows).
        #expect(grid.width == 5 && grid.height == 5)
        #expect(grid.column(x: bounds.maxX) == 4 && grid.row(y: bounds.minY) == 3)
        #expect(grid.geoTransform == GeoTransform(100, 0.5, 0, 52, 0, -0.5))
        let c = grid.centre(column: 1, row: 2)
        #expect(c.x == 100.75 && c.y == 50.75)

        let covering = try DSMGrid(covering: bounds, resolution: 0.5)
        #expect(covering.originX == 100.3 && covering.originY == 51.9)
        #expect(covering.width == 4 && covering.height == 4)  // ceil(1.7 / 0.5), ceil(1.7 / 0.5)

        // The NaN point does not count in the bounds; y = 2 on a cell edge needs no extra row.
        let cloud = PointCloud(x: [1, .nan], y: [2, 5], z: [3, 4], epsg: 32631)
        let single = try DSMGrid.plyflatten(cloud: cloud, resolution: 1)
        #expect(single.width == 1 && single.height == 1 && single.epsg == 32631)
        #expect(single.originX == 1 && single.originY == 2)
    }

    @Test("invalid grids and empty clouds throw DSMError")
    func invalid() throws {
        #expect(throws: DSMError.invalidGrid(reason: "resolution 0.0 is not positive")) {
            try DSMGrid(originX: 0, originY: 0, resolution: 0, width: 1, height: 1)
        }
        #expect(throws: DSMError.self) { try DSMGrid(originX: 0, originY: 0, resolution: 1, width: 0, height: 1) }
        #expect(throws: DSMError.self) { try DSMGrid(originX: .nan, originY: 0, resolution: 1, width: 1, height: 1) }
        #expect(throws: DSMError.self) {
            try DSMGrid.plyflatten(bounds: GroundBounds(minX: 0, minY: 0, maxX: 1e12, maxY: 1), resolution: 1e-3)
        }
        let empty = PointCloud(x: [.nan], y: [1], z: [1])
        #expect(throws: DSMError.emptyCloud(source: "c.ply")) { try DSMGrid.plyflatten(cloud: empty, resolution: 1, source: "c.ply") }
        #expect(throws: DSMError.emptyCloud(source: "the point cloud")) {
            try DSMGrid.plyflatten(cloud: PointCloud(x: [], y: [], z: []), resolution: 1)
        }
    }
}
