/// Removes small isolated regions of a disparity map ("speckles", as OpenCV's `filterSpeckles`):
/// pixels are grouped into 4-connected regions where neighbours differ by at most `maximumDifference`;
/// every region of at most `maximumSize` pixels becomes NaN. NaN pixels belong to no region.
///
/// `scratch` holds the labels and the region queue (resized to `2 * W * H`; pass the same array
/// tile after tile to reuse its storage).
///
/// - Complexity: O(W·H) time and memory (labels and an explicit stack, no recursion).
func removeSpeckles(_ disparity: inout [Float], width: Int, height: Int, maximumSize: Int, maximumDifference: Float,
                    scratch: inout [Int32]) {
    guard maximumSize > 0, width > 0, height > 0 else { return }
    let count = width * height
    refill(&scratch, count: 2 * count, with: 0)
    scratch.withUnsafeMutableBufferPointer { scratch in
    let label = scratch.baseAddress!
    // Pixels of the current region, in visiting order; the unvisited tail doubles as the stack.
    let region = scratch.baseAddress! + count
    disparity.withUnsafeMutableBufferPointer { values in
        let d = values.baseAddress!
        var next: Int32 = 0
        for seed in 0..<count where label[seed] == 0 && !d[seed].isNaN {
            next &+= 1
            label[seed] = next
            region[0] = Int32(seed)
            var head = 0, tail = 1  // breadth-first: region[head..<tail] are queued
            while head < tail {
                let pixel = Int(region[head])
                head += 1
                let x = pixel % width
                let value = d[pixel]
                @inline(__always) func visit(_ other: Int) {
                    if label[other] == 0 {
                        let v = d[other]
                        if abs(v - value) <= maximumDifference {  // false for NaN
                            label[other] = next
                            region[tail] = Int32(other)
                            tail += 1
                        }
                    }
                }
                if x > 0 { visit(pixel - 1) }
                if x + 1 < width { visit(pixel + 1) }
                if pixel >= width { visit(pixel - width) }
                if pixel + width < count { visit(pixel + width) }
            }
            if tail <= maximumSize {
                for k in 0..<tail { d[Int(region[k])] = .nan }
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
