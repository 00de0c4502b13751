import Foundation
import Photogrammetry
import Raster

/// True when both images have the same size and, cell for cell, the same bits or both NaN
/// (`==` on `ImageBuffer<Float>` is false wherever a cell is NaN).
func identicalHeights(_ a: ImageBuffer<Float>, _ b: ImageBuffer<Float>) -> Bool {
    guard a.width == b.width, a.height == b.height else { return false }
    for y in 0..<a.height {
        for x in 0..<a.width {
            let u = a[x, y], v = b[x, y]
            if u.isNaN && v.isNaN { continue }
            if u.bitPattern != v.bitPattern { return false }
        }
    }
    return true
}

/// The number of cells where the two images differ (see `identicalHeights`); -1 for different sizes.
func differingCells(_ a: ImageBuffer<Float>, _ b: ImageBuffer<Float>) -> Int {
    guard a.width == b.width, a.height == b.height else { return -1 }
    var n = 0
    for y in 0..<a.height {
        for x in 0..<a.width where !(a[x, y].isNaN && b[x, y].isNaN) && a[x, y].bitPattern != b[x, y].bitPattern { n += 1 }
    }
    return n
}

/// A grid of `width` x `height` cells of 1 m with its top-left corner at (100, 200), EPSG 32631.
func unitGrid(width: Int, height: Int, resolution: Double = 1) throws -> DSMGrid {
    try DSMGrid(originX: 100, originY: 200, resolution: resolution, width: width, height: height, epsg: 32631)
}

/// A deterministic pseudo-random cloud over `grid` (some points outside it, some duplicates in
/// a cell, a few non-finite), from a 64-bit LCG so that tests need no global random state.
func syntheticCloud(grid: DSMGrid, count: Int, seed: UInt64 = 1) -> PointCloud {
    var state = seed
    func next() -> Double {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Double(state >> 11) / Double(1 << 53)
    }
    var xs: [Double] = [], ys: [Double] = [], zs: [Double] = []
    let spanX = Double(grid.width) * grid.resolution, spanY = Double(grid.height) * grid.resolution
    for i in 0..<count {
        // 5% margin outside the grid on each side; empty bands (holes) where sin(...) > 0.9.
        let x = grid.originX - 0.05 * spanX + next() * 1.1 * spanX
        let y = grid.originY + 0.05 * spanY - next() * 1.1 * spanY
        if sin(x * 0.37) * cos(y * 0.23) > 0.8 { continue }
        xs.append(x)
        ys.append(y)
        zs.append(i % 97 == 0 ? .nan : 100 + 10 * sin(x * 0.05) + next())
    }
    return PointCloud(x: xs, y: ys, z: zs, epsg: grid.epsg)
}
