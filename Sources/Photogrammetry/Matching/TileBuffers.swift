/// Per-tile arrays of `StereoMatcher.matchTile` that a `MatchingWorkspace` keeps from one tile to
/// the next (census codes, validity masks, the speckle filter's labels, the
/// median filter's second image): refilled in place, they cost no allocation and no page faults
/// on a tile that fits in what an earlier one used (about 40 bytes a pixel that were mapped
/// afresh for every tile before). Arrays, so that a buffer still referenced elsewhere is copied
/// on write rather than overwritten.
struct TileBuffers {
    var leftCodes: [UInt64] = [], rightCodes: [UInt64] = []
    var leftValid: [Bool] = [], rightValid: [Bool] = []
    var speckle: [Int32] = []
    /// The median filter's output; after the filter it holds the tile's previous disparities.
    var median: [Float] = []
    /// Spare result arrays: `matchTiled` hands a tile's disparities and confidences back once it
    /// has copied them, and the next tile's result is written into them.
    var disparity: [Float] = [], confidence: [Float] = []
}

/// Makes `array` hold `count` copies of `value`, in its own storage when that is unique and large
/// enough (no allocation).
/// - Complexity: O(count).
@inline(__always)
func refill<T>(_ array: inout [T], count: Int, with value: T) {
    array.removeAll(keepingCapacity: true)
    array.append(contentsOf: repeatElement(value, count: count))
}
