import Raster

/// Edges of an image that continue beyond it: the image is a tile of a larger grid there.
public struct OpenEdges: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let left = OpenEdges(rawValue: 1)
    public static let right = OpenEdges(rawValue: 2)
    public static let top = OpenEdges(rawValue: 4)
    public static let bottom = OpenEdges(rawValue: 8)
    public static let all: OpenEdges = [.left, .right, .top, .bottom]

    /// The edges of `window` that lie inside a `gridWidth` x `gridHeight` grid.
    public init(window: Window, gridWidth: Int, gridHeight: Int) {
        var edges: OpenEdges = []
        if window.x > 0 { edges.insert(.left) }
        if window.y > 0 { edges.insert(.top) }
        if window.maxX < gridWidth { edges.insert(.right) }
        if window.maxY < gridHeight { edges.insert(.bottom) }
        self = edges
    }
}

/// Fills the small holes of a DSM (band 0 of `heights`) and leaves the large ones NaN.
///
/// A hole is a 4-connected component of NaN cells (so the scattered empty cells of a sparse
/// cloud, touching only at corners, are separate one-cell holes, not one huge one); it is small
/// when it has at most `maxArea` cells. A small hole is filled from its border inwards in
/// rings: each pass gives every cell of the hole that has usable 8-neighbours the mean of
/// those, until the hole is full. Usable means valid in the input or filled by an earlier
/// pass of the same hole, never a cell of another hole, so each hole's values depend only on
/// the hole and the valid cells around it, whatever the scan order.
///
/// A hole touching an edge in `openEdges` may continue beyond the image and is left alone:
/// then a tile rasterised with a halo of `maxArea` cells on its open sides fills its core
/// exactly as the whole grid would (a small hole reaching the core lies within `maxArea - 1`
/// cells of it, its neighbours within `maxArea`).
///
/// - Returns: the number of cells filled.
/// - Complexity: O(W·H) to find the holes, plus O(a²) per small hole of a cells (a ≤ maxArea);
///   O(W·H) scratch.
@discardableResult
public func fillSmallHoles(_ heights: inout ImageBuffer<Float>, maxArea: Int, openEdges: OpenEdges = []) -> Int {
    guard maxArea > 0 else { return 0 }
    let w = heights.width, h = heights.height
    // Hole label of each cell: -1 for cells valid in the input, else the index of its hole.
    var label = [Int32](repeating: -1, count: w * h)
    var unlabelled = [Bool](repeating: false, count: w * h)
    for y in 0..<h { for x in 0..<w where heights[x, y].isNaN { unlabelled[y * w + x] = true } }
    var component: [Int] = []
    var holes: Int32 = 0
    var filled = 0
    for start in 0..<(w * h) where unlabelled[start] {
        // Breadth-first search of the hole (cells as y * w + x), 4-connected.
        component.removeAll(keepingCapacity: true)
        component.append(start)
        unlabelled[start] = false
        label[start] = holes
        var head = 0
        var touchesOpenEdge = false
        while head < component.count {
            let cell = component[head]
            head += 1
            let cx = cell % w, cy = cell / w
            if (cx == 0 && openEdges.contains(.left)) || (cx == w - 1 && openEdges.contains(.right))
                || (cy == 0 && openEdges.contains(.top)) || (cy == h - 1 && openEdges.contains(.bottom)) {
                touchesOpenEdge = true
            }
            for (nx, ny) in [(cx - 1, cy), (cx + 1, cy), (cx, cy - 1), (cx, cy + 1)]
            where nx >= 0 && nx < w && ny >= 0 && ny < h && unlabelled[ny * w + nx] {
                unlabelled[ny * w + nx] = false
                label[ny * w + nx] = holes
                component.append(ny * w + nx)
            }
        }
        if component.count <= maxArea && !touchesOpenEdge {
            filled += fillHole(&heights, cells: component, hole: holes, label: label)
        }
        holes += 1
    }
    return filled
}

/// Fills one hole in rings (see `fillSmallHoles`); returns the number of cells filled.
private func fillHole(_ heights: inout ImageBuffer<Float>, cells: [Int], hole: Int32, label: [Int32]) -> Int {
    let w = heights.width, h = heights.height
    var remaining = cells
    var updates: [(cell: Int, value: Float)] = []
    var filled = 0
    while !remaining.isEmpty {
        updates.removeAll(keepingCapacity: true)
        var still: [Int] = []
        for cell in remaining {
            let cx = cell % w, cy = cell / w
            var sum = 0.0, count = 0
            for ny in max(0, cy - 1)...min(h - 1, cy + 1) {
                for nx in max(0, cx - 1)...min(w - 1, cx + 1) {
                    let n = ny * w + nx
                    // Valid input cells, or cells of this hole filled by an earlier pass.
                    guard label[n] == -1 || label[n] == hole else { continue }
                    let v = heights[nx, ny]
                    if !v.isNaN { sum += Double(v); count += 1 }
                }
            }
            if count > 0 { updates.append((cell, Float(sum / Double(count)))) } else { still.append(cell) }
        }
        if updates.isEmpty { break }  // a hole with no valid neighbour at all (an all-NaN image)
        for u in updates { heights[u.cell % w, u.cell / w] = u.value }
        filled += updates.count
        remaining = still
    }
    return filled
}
