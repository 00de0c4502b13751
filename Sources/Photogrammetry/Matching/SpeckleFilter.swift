import Dispatch

/// Removes small isolated regions of a disparity map ("speckles", as OpenCV's `filterSpeckles`):
/// pixels are grouped into 4-connected regions where neighbours differ by at most `maximumDifference`;
/// every region of at most `maximumSize` pixels becomes NaN. NaN pixels belong to no region.
///
/// Over both cores: the top and the bottom half are labelled concurrently, each region confined
/// to its half; a half-region larger than `maximumSize` is kept (its whole region is larger), one
/// that does not reach the middle rows is a whole region and decided at once, and the small ones
/// reaching the middle are measured again over the whole map afterwards. Regions are connected
/// components of a symmetric relation, so this equals the one-pass `removeSpecklesReference`.
///
/// `scratch` holds the labels and the region queues (resized to `2 * W * H`; pass the same array
/// tile after tile to reuse its storage).
///
/// - Complexity: O(W·H) time and memory (labels and explicit queues, no recursion).
func removeSpeckles(_ disparity: inout [Float], width: Int, height: Int, maximumSize: Int, maximumDifference: Float,
                    scratch: inout [Int32]) {
    guard maximumSize > 0, width > 0, height > 0 else { return }
    guard height >= 64 else {
        removeSpecklesReference(&disparity, width: width, height: height, maximumSize: maximumSize,
                                maximumDifference: maximumDifference, scratch: &scratch)
        return
    }
    let count = width * height, middle = height / 2
    refill(&scratch, count: 2 * count, with: 0)
    scratch.withUnsafeMutableBufferPointer { scratch in
    disparity.withUnsafeMutableBufferPointer { values in
        nonisolated(unsafe) let (label, queue, d) = (scratch.baseAddress!, scratch.baseAddress! + count, values.baseAddress!)
        // Seeds of the small half-regions that reach the middle rows, per half.
        let pendingStorage = UnsafeMutablePointer<[Int]>.allocate(capacity: 2)
        pendingStorage.initialize(repeating: [], count: 2)
        defer { pendingStorage.deinitialize(count: 2); pendingStorage.deallocate() }
        nonisolated(unsafe) let pending = pendingStorage
        DispatchQueue.concurrentPerform(iterations: 2) { half in
            let rows = half == 0 ? 0..<middle : middle..<height
            let edge = half == 0 ? middle - 1 : middle  // the half's row next to the other half
            var seeds: [Int] = []
            labelRegions(d, label: label, queue: queue + rows.lowerBound * width, width: width, rows: rows,
                         maximumDifference: maximumDifference) { region, size in
                guard size <= maximumSize else { return }
                let edgePixels = Int32(edge * width)..<Int32((edge + 1) * width)
                if (0..<size).contains(where: { edgePixels.contains(region[$0]) }) {
                    seeds.append(Int(region[0]))
                } else {
                    for k in 0..<size { d[Int(region[k])] = .nan }
                }
            }
            pending[half] = seeds
        }
        // The small half-regions at the middle: their whole regions, measured over both halves
        // (label -1 marks pixels seen in this pass).
        for seed in pending[0] + pending[1] where label[seed] != -1 {
            let size = growRegion(from: seed, d, label: label, queue: queue, width: width, pixels: 0..<count,
                                  maximumDifference: maximumDifference, mark: -1) { $0 != -1 }
            if size <= maximumSize {
                for k in 0..<size { d[Int(queue[k])] = .nan }
            }
        }
    }
    }
}

/// Grows the 4-connected region of `seed` (neighbours within `maximumDifference`, never NaN)
/// breadth first inside the pixel range `pixels` (whole rows), over pixels whose label `isFree`,
/// marking each with `mark`; its pixels end up in `queue[0..<size]`, and `size` is returned.
/// - Complexity: O(size).
@inline(__always)
private func growRegion(from seed: Int, _ d: UnsafeMutablePointer<Float>, label: UnsafeMutablePointer<Int32>,
                        queue: UnsafeMutablePointer<Int32>, width: Int, pixels: Range<Int>, maximumDifference: Float,
                        mark: Int32, isFree: (Int32) -> Bool) -> Int {
    let (first, end) = (pixels.lowerBound, pixels.upperBound)
    // x = pixel % width without a division: the high word of pixel * ceil(2^64 / width), exact
    // for pixel and width below 2^32 (pixel indices are Int32 here).
    let reciprocal = width > 1 ? UInt64.max / UInt64(width) + 1 : 0
    label[seed] = mark
    queue[0] = Int32(seed)
    var head = 0, tail = 1  // breadth-first: queue[head..<tail] are waiting
    while head < tail {
        let pixel = Int(queue[head])
        head += 1
        let x = width > 1 ? pixel - Int(UInt64(pixel).multipliedFullWidth(by: reciprocal).high) * width : 0
        let value = d[pixel]
        @inline(__always) func visit(_ other: Int) {
            if isFree(label[other]) && abs(d[other] - value) <= maximumDifference {  // false for NaN
                label[other] = mark
                queue[tail] = Int32(other)
                tail += 1
            }
        }
        if x > 0 { visit(pixel - 1) }
        if x + 1 < width { visit(pixel + 1) }
        if pixel - width >= first { visit(pixel - width) }
        if pixel + width < end { visit(pixel + width) }
    }
    return tail
}

/// Labels the 4-connected regions of `d` inside `rows` (regions confined to those rows, grown by
/// `growRegion`), calling `region(pixels, size)` once per region with its pixels (row-major
/// indices into the whole map) in `queue[0..<size]`, valid until the next region. `label` marks
/// visited pixels (non-zero); `queue` needs room for the rows' pixels.
/// - Complexity: O(W · rows).
@inline(__always)
private func labelRegions(_ d: UnsafeMutablePointer<Float>, label: UnsafeMutablePointer<Int32>,
                          queue: UnsafeMutablePointer<Int32>, width: Int, rows: Range<Int>, maximumDifference: Float,
                          region: (UnsafeMutablePointer<Int32>, Int) -> Void) {
    let pixels = (rows.lowerBound * width)..<(rows.upperBound * width)
    for seed in pixels where label[seed] == 0 && !d[seed].isNaN {
        let size = growRegion(from: seed, d, label: label, queue: queue, width: width, pixels: pixels,
                              maximumDifference: maximumDifference, mark: 1) { $0 == 0 }
        region(queue, size)
    }
}

/// One-pass version of `removeSpeckles` (same output): the whole map labelled region by region.
/// - Complexity: O(W·H).
func removeSpecklesReference(_ disparity: inout [Float], width: Int, height: Int, maximumSize: Int,
                             maximumDifference: Float, scratch: inout [Int32]) {
    guard maximumSize > 0, width > 0, height > 0 else { return }
    let count = width * height
    refill(&scratch, count: 2 * count, with: 0)
    scratch.withUnsafeMutableBufferPointer { scratch in
        disparity.withUnsafeMutableBufferPointer { values in
            let d = values.baseAddress!
            labelRegions(d, label: scratch.baseAddress!, queue: scratch.baseAddress! + count, width: width,
                         rows: 0..<height, maximumDifference: maximumDifference) { region, size in
                if size <= maximumSize {
                    for k in 0..<size { d[Int(region[k])] = .nan }
                }
            }
        }
    }
}

/// `removeSpeckles` with scratch of its own.
func removeSpeckles(_ disparity: inout [Float], width: Int, height: Int, maximumSize: Int, maximumDifference: Float) {
    var scratch: [Int32] = []
    removeSpeckles(&disparity, width: width, height: height, maximumSize: maximumSize,
                   maximumDifference: maximumDifference, scratch: &scratch)
}
