import CStereoKernels
import Dispatch

// Semi-global matching (H. Hirschmüller, "Stereo Processing by Semiglobal Matching and Mutual
// Information", IEEE TPAMI 30(2), 2008), eq. 13: along each path direction r,
//   L_r(p, d) = C(p, d) + min(L_r(p-r, d), L_r(p-r, d±1) + P1, min_k L_r(p-r, k) + P2) - min_k L_r(p-r, k)
// and S(p, d) = sum over r of L_r(p, d).
//
// Path costs are kept in 8 bits without saturation: with costs <= Cmax, every L_r lies in
// [C, C + P2] <= Cmax + P2 and its minimum is <= Cmax, so `Cmax + P1 + P2 <= 255` keeps every
// intermediate (including L + P1) exact. Out-of-range neighbours (d = -1, d = D, and the padding
// up to the vector width) hold the sentinel 255 - P1, which is never below a real candidate.

/// The P2 penalty between pixels of intensities `a` and `b` (normalised 0..255): constant `p2`,
/// or with `gradientScale`, `max(p1, floor(p2 / (1 + |a - b| / gradientScale)))` (lower P2 at
/// intensity edges, where disparity jumps are likely; Hirschmüller 2008 eq. 12). NaN (nodata)
/// intensities give `p2`.
@inline(__always)
func effectiveP2(p1: Int, p2: Int, gradientScale: Float?, _ a: Float, _ b: Float) -> Int {
    guard let scale = gradientScale else { return p2 }
    let g = abs(a - b)
    guard !g.isNaN else { return p2 }
    let adapted = Int((Float(p2) / (1 + g / scale)).rounded(.down))
    return max(p1, adapted)
}

/// Lane-wise minimum, always inlined (the standard library's generic `pointwiseMin` was left as
/// a call in the hot loop).
@inline(__always)
func lanewiseMin(_ a: SIMD16<UInt8>, _ b: SIMD16<UInt8>) -> SIMD16<UInt8> {
    a.replacing(with: b, where: b .< a)
}

@inline(__always)
func lanewiseMin(_ a: SIMD16<UInt16>, _ b: SIMD16<UInt16>) -> SIMD16<UInt16> {
    a.replacing(with: b, where: b .< a)
}

/// Zero-extends 16 bytes to 16 UInt16 lanes, written lane by lane so that it is always inlined
/// (the standard library's generic `init(truncatingIfNeeded:)` was left as a call).
@inline(__always)
func widen(_ v: SIMD16<UInt8>) -> SIMD16<UInt16> {
    var r = SIMD16<UInt16>()
    for i in 0..<16 { r[i] = UInt16(v[i]) }
    return r
}

/// Truncates 16 UInt32 lanes to bytes, lane by lane (see `widen`).
@inline(__always)
func narrow(_ v: SIMD16<UInt32>) -> SIMD16<UInt8> {
    var r = SIMD16<UInt8>()
    for i in 0..<16 { r[i] = UInt8(truncatingIfNeeded: v[i]) }
    return r
}

/// The smallest lane, by halving (the standard library's `min()` reduction was left as a call).
@inline(__always)
func horizontalMin(_ v: SIMD16<UInt8>) -> UInt8 {
    let a = v.lowHalf.replacing(with: v.highHalf, where: v.highHalf .< v.lowHalf)
    let b = a.lowHalf.replacing(with: a.highHalf, where: a.highHalf .< a.lowHalf)
    let c = b.lowHalf.replacing(with: b.highHalf, where: b.highHalf .< b.lowHalf)
    return min(c[0], c[1])
}

@inline(__always)
func horizontalMin(_ v: SIMD16<UInt16>) -> UInt16 {
    let a = v.lowHalf.replacing(with: v.highHalf, where: v.highHalf .< v.lowHalf)
    let b = a.lowHalf.replacing(with: a.highHalf, where: a.highHalf .< a.lowHalf)
    let c = b.lowHalf.replacing(with: b.highHalf, where: b.highHalf .< b.lowHalf)
    return min(c[0], c[1])
}

/// One SGM path step of one direction at one pixel (Hirschmüller 2008 eq. 13), plain: the
/// reference of `sgmPixelStep` (which runs 2 or 4 of these at once). Writes the new path costs to
/// entries `1...count` of `out` (layout [guard, d0 ..., guard]), adds them to `sum[0..<count]`
/// (or stores them, with `accumulate` false), and returns their minimum.
/// - Complexity: O(D).
func sgmStepReference(
    cost: UnsafePointer<UInt8>, previous: UnsafePointer<UInt8>, previousMin: UInt8,
    p1: UInt8, p2: UInt8, count: Int, stride: Int,
    out: UnsafeMutablePointer<UInt8>, sum: UnsafeMutablePointer<UInt16>, accumulate: Bool = true
) -> UInt8 {
    var minimum = Int.max
    for d in 0..<count {
        var best = Int(previous[d + 1])
        if d > 0 { best = min(best, Int(previous[d]) + Int(p1)) }
        if d + 1 < count { best = min(best, Int(previous[d + 2]) + Int(p1)) }
        best = min(best, Int(previousMin) + Int(p2))
        let value = Int(cost[d]) + best - Int(previousMin)
        out[d + 1] = UInt8(value)
        sum[d] = accumulate ? sum[d] &+ UInt16(value) : UInt16(value)
        minimum = min(minimum, value)
    }
    return UInt8(minimum)
}

/// The state of one path direction at one pixel, for `sgmPixelStep`: where its previous path
/// costs are (layout of `sgmStepReference`), their minimum, this step's P2, and where the new
/// path costs and their minimum go.
struct SGMPathState {
    var previous: UnsafePointer<UInt8>
    var previousMin: UInt8
    var p2: UInt8
    var out: UnsafeMutablePointer<UInt8>
    var outMin: UnsafeMutablePointer<UInt8>
}

/// One pixel of an SGM sweep: the path step of eq. 13 (Hirschmüller 2008) for its 2 or 4
/// directions at once, their new path costs summed into `sum` (stored when `accumulate` is
/// false, added otherwise), each direction's new minimum written to its `outMin`.
///
/// SIMD kernel: per chunk of 16 disparities the cost is loaded once, each direction's update runs
/// in `SIMD16<UInt8>` (the d-1 / d+1 neighbours are unaligned loads shifted by one byte), and the
/// sum is read and written once in `SIMD16<UInt16>`. Plain version: `sgmStepReference` applied
/// to each direction in turn (same path costs, minima and sums; tested bit for bit).
///
/// - Parameters:
///   - cost: `stride` costs (multiple of 16) of this pixel, at most `maxCost`.
///   - states: `directions` (2 or 4) path states; previous vectors are laid out
///     [guard, d0 ... d(stride-1), guard] (`stride + 2` bytes), guards and entries `count..<stride`
///     holding `255 - p1`; the outputs get the same layout (only entries `1...stride` written,
///     padding set to the sentinel).
///   - sum: `stride` UInt16 accumulators.
/// - Precondition: costs <= `maxCost`, `maxCost + p1 + p2 <= 255`, previous path costs <=
///   `maxCost + p2` with `previousMin <= maxCost` (what eq. 13 guarantees, see the file header).
/// - Complexity: O(D · directions).
@inline(__always)
func sgmPixelStep(
    cost: UnsafePointer<UInt8>, states: UnsafePointer<SGMPathState>, directions: Int,
    p1: UInt8, count: Int, stride: Int, sum: UnsafeMutablePointer<UInt16>, accumulate: Bool
) {
    precondition(directions == 2 || directions == 4)
    let costs = UnsafeRawPointer(cost)
    let sums = UnsafeMutableRawPointer(sum)
    let p1v = SIMD16<UInt8>(repeating: p1)
    let sentinel = SIMD16<UInt8>(repeating: 255 &- p1)
    let lane = SIMD16<UInt8>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
    let s0 = states[0], s1 = states[1]
    let four = directions == 4
    let s2 = four ? states[2] : s0, s3 = four ? states[3] : s1
    var m0 = SIMD16<UInt8>(repeating: 255), m1 = m0, m2 = m0, m3 = m0
    let base0 = SIMD16<UInt8>(repeating: s0.previousMin), cap0 = SIMD16<UInt8>(repeating: s0.previousMin &+ s0.p2)
    let base1 = SIMD16<UInt8>(repeating: s1.previousMin), cap1 = SIMD16<UInt8>(repeating: s1.previousMin &+ s1.p2)
    let base2 = SIMD16<UInt8>(repeating: s2.previousMin), cap2 = SIMD16<UInt8>(repeating: s2.previousMin &+ s2.p2)
    let base3 = SIMD16<UInt8>(repeating: s3.previousMin), cap3 = SIMD16<UInt8>(repeating: s3.previousMin &+ s3.p2)
    var k = 0
    while k < stride {
        let c = costs.loadUnaligned(fromByteOffset: k, as: SIMD16<UInt8>.self)
        // Eq. 13 per direction: c + min(L(d), min(L(d-1), L(d+1)) + P1, min L + P2) - min L,
        // written out for each direction (a helper function was not inlined).
        let prev0 = UnsafeRawPointer(s0.previous)
        var v0 = c &+ (lanewiseMin(lanewiseMin(prev0.loadUnaligned(fromByteOffset: k + 1, as: SIMD16<UInt8>.self),
                                             lanewiseMin(prev0.loadUnaligned(fromByteOffset: k, as: SIMD16<UInt8>.self),
                                                         prev0.loadUnaligned(fromByteOffset: k + 2, as: SIMD16<UInt8>.self)) &+ p1v),
                                 cap0) &- base0)
        let prev1 = UnsafeRawPointer(s1.previous)
        var v1 = c &+ (lanewiseMin(lanewiseMin(prev1.loadUnaligned(fromByteOffset: k + 1, as: SIMD16<UInt8>.self),
                                             lanewiseMin(prev1.loadUnaligned(fromByteOffset: k, as: SIMD16<UInt8>.self),
                                                         prev1.loadUnaligned(fromByteOffset: k + 2, as: SIMD16<UInt8>.self)) &+ p1v),
                                 cap1) &- base1)
        var v2 = SIMD16<UInt8>(), v3 = SIMD16<UInt8>()
        if four {
            let prev2 = UnsafeRawPointer(s2.previous)
            v2 = c &+ (lanewiseMin(lanewiseMin(prev2.loadUnaligned(fromByteOffset: k + 1, as: SIMD16<UInt8>.self),
                                                 lanewiseMin(prev2.loadUnaligned(fromByteOffset: k, as: SIMD16<UInt8>.self),
                                                             prev2.loadUnaligned(fromByteOffset: k + 2, as: SIMD16<UInt8>.self)) &+ p1v),
                                     cap2) &- base2)
            let prev3 = UnsafeRawPointer(s3.previous)
            v3 = c &+ (lanewiseMin(lanewiseMin(prev3.loadUnaligned(fromByteOffset: k + 1, as: SIMD16<UInt8>.self),
                                                 lanewiseMin(prev3.loadUnaligned(fromByteOffset: k, as: SIMD16<UInt8>.self),
                                                             prev3.loadUnaligned(fromByteOffset: k + 2, as: SIMD16<UInt8>.self)) &+ p1v),
                                     cap3) &- base3)
        }
        if k + 16 > count {
            let padding = lane .>= SIMD16<UInt8>(repeating: UInt8(truncatingIfNeeded: max(count - k, 0)))
            v0.replace(with: sentinel, where: padding)
            v1.replace(with: sentinel, where: padding)
            v2.replace(with: sentinel, where: padding)
            v3.replace(with: sentinel, where: padding)
        }
        UnsafeMutableRawPointer(s0.out).storeBytes(of: v0, toByteOffset: k + 1, as: SIMD16<UInt8>.self)
        UnsafeMutableRawPointer(s1.out).storeBytes(of: v1, toByteOffset: k + 1, as: SIMD16<UInt8>.self)
        m0 = lanewiseMin(m0, v0)
        m1 = lanewiseMin(m1, v1)
        var total = widen(v0) &+ widen(v1)
        if four {
            UnsafeMutableRawPointer(s2.out).storeBytes(of: v2, toByteOffset: k + 1, as: SIMD16<UInt8>.self)
            UnsafeMutableRawPointer(s3.out).storeBytes(of: v3, toByteOffset: k + 1, as: SIMD16<UInt8>.self)
            m2 = lanewiseMin(m2, v2)
            m3 = lanewiseMin(m3, v3)
            total &+= widen(v2) &+ widen(v3)
        }
        if accumulate { total &+= sums.loadUnaligned(fromByteOffset: 2 * k, as: SIMD16<UInt16>.self) }
        sums.storeBytes(of: total, toByteOffset: 2 * k, as: SIMD16<UInt16>.self)
        k += 16
    }
    s0.outMin.pointee = horizontalMin(m0)
    s1.outMin.pointee = horizontalMin(m1)
    if four {
        s2.outMin.pointee = horizontalMin(m2)
        s3.outMin.pointee = horizontalMin(m3)
    }
}

/// The aggregated costs S of a tile: the sum of the forward sweep's paths plus the backward
/// sweep's, two UInt16 volumes laid out as the `CostVolume` (so the sweeps run concurrently).
/// Keeps its memory when reshaped to a tile that fits (see `MatchingWorkspace`).
final class AggregatedVolume: @unchecked Sendable {
    private(set) var width = 0
    private(set) var height = 0
    private(set) var count = 0
    private(set) var stride = 0
    private(set) var forward: UnsafeMutablePointer<UInt16>
    private(set) var backward: UnsafeMutablePointer<UInt16>
    private var capacity = 0

    init() {
        forward = .allocate(capacity: 1)
        backward = .allocate(capacity: 1)
    }

    deinit {
        forward.deallocate()
        backward.deallocate()
    }

    /// Sets the shape; contents undefined afterwards (the first direction of each sweep stores,
    /// the others add).
    func reshape(width: Int, height: Int, count: Int, stride: Int) {
        (self.width, self.height, self.count, self.stride) = (width, height, count, stride)
        let total = max(width * height * stride, 1)
        if total > capacity {
            forward.deallocate()
            backward.deallocate()
            forward = .allocate(capacity: total)
            backward = .allocate(capacity: total)
            capacity = total
        }
    }

    /// S(x, y, i).
    subscript(x: Int, y: Int, i: Int) -> Int {
        let index = (y * width + x) * stride + i
        return Int(forward[index]) + Int(backward[index])
    }
}

/// The path directions (dx, dy) of a sweep: the previous pixel on the path is (x + dx, y + dy).
/// The forward sweep (rows top to bottom, columns left to right) takes the paths coming from the
/// left and from above; the backward sweep their opposites.
func sgmDirections(_ paths: SGMPaths, forward: Bool) -> [(dx: Int, dy: Int)] {
    let directions: [(dx: Int, dy: Int)] = paths == .eight ? [(-1, 0), (-1, -1), (0, -1), (1, -1)] : [(-1, 0), (0, -1)]
    return forward ? directions : directions.map { (-$0.dx, -$0.dy) }
}

/// Semi-global aggregation of a cost volume over 4 or 8 paths (Hirschmüller 2008 eq. 13-14).
/// The forward and the backward sweeps run concurrently, each over the whole tile in raster
/// order with one row of path costs per vertical/diagonal direction.
///
/// - Parameters:
///   - intensity: the left tile normalised to 0..255 (NaN = nodata), for the adaptive P2; may be
///     empty when `gradientScale` is nil.
///   - kernels: the C kernels' instruction set; nil runs the Swift steps (`SGMSweep.runPlain`).
/// - Returns: S; the plain version `sgmAggregateReference` gives the same sums.
/// - Complexity: O(W·H·D·paths) time; O(W·D·paths) scratch besides the output (2 bytes per cell).
func sgmAggregate(
    _ volume: CostVolume, intensity: [Float], p1: Int, p2: Int, gradientScale: Float?, paths: SGMPaths,
    into result: AggregatedVolume = AggregatedVolume(), kernels: ReliefKernelLevel? = ReliefKernelAuto
) -> AggregatedVolume {
    result.reshape(width: volume.width, height: volume.height, count: volume.count, stride: volume.stride)
    DispatchQueue.concurrentPerform(iterations: 2) { sweep in
        intensity.withUnsafeBufferPointer { intensity in
            sgmSweep(volume, intensity: intensity, p1: p1, p2: p2, gradientScale: gradientScale,
                     directions: sgmDirections(paths, forward: sweep == 0), forward: sweep == 0,
                     sums: sweep == 0 ? result.forward : result.backward, kernels: kernels)
        }
    }
    return result
}

/// One sweep of `sgmAggregate` (see there), over the whole tile.
func sgmSweep(
    _ volume: CostVolume, intensity: UnsafeBufferPointer<Float>, p1: Int, p2: Int, gradientScale: Float?,
    directions: [(dx: Int, dy: Int)], forward: Bool, sums: UnsafeMutablePointer<UInt16>,
    kernels: ReliefKernelLevel? = ReliefKernelAuto
) {
    let sweep = SGMSweep(volume, intensity: intensity, p1: p1, p2: p2, gradientScale: gradientScale,
                         directions: directions, forward: forward, kernels: kernels ?? ReliefKernelAuto)
    let rowLength = volume.width * volume.stride
    if kernels == nil {
        sweep.runPlain(steps: 0..<volume.height, rowSums: { sums + $0 * rowLength }, completed: { _, _ in })
    } else {
        sweep.run(steps: 0..<volume.height, rowSums: { sums + $0 * rowLength }, completed: { _, _ in })
    }
}

/// A resumable SGM sweep (eq. 13 of Hirschmüller 2008) over a cost volume in raster order
/// (`forward`) or reverse raster order, for 2 or 4 directions: it keeps only the previous row's
/// path costs of each direction (O(W·D) bytes per direction), so a sweep can stop after any row
/// and go on later (`run` over consecutive ranges of steps), the sums of each row written where
/// the caller says. Not thread-safe: one sweep per worker.
final class SGMSweep: @unchecked Sendable {
    let volume: CostVolume
    let intensity: UnsafeBufferPointer<Float>
    let p1: Int, p2: Int, gradientScale: Float?
    let directions: [(dx: Int, dy: Int)]
    let forward: Bool
    private let vectorLength: Int
    /// Where each slot's [guard, d0 ..., guard] starts: 0, or with per-pixel windows
    /// (`volume.offsets`) after `stride + 2` sentinel bytes that shifted reads may touch.
    private let origin: Int
    private let rowLength: Int
    private let start: UnsafeMutablePointer<UInt8>
    private let rows: UnsafeMutablePointer<UInt8>
    private let mins: UnsafeMutablePointer<UInt8>
    private let states: UnsafeMutablePointer<SGMPathState>
    /// The directions for the C kernel: dx of each at 0..<4, dy at 4..<8.
    private let offsets: UnsafeMutablePointer<Int32>
    /// Which C kernels `run` uses (tests pin SSE2 or AVX2).
    let kernels: ReliefKernelLevel

    init(_ volume: CostVolume, intensity: UnsafeBufferPointer<Float>, p1: Int, p2: Int, gradientScale: Float?,
         directions: [(dx: Int, dy: Int)], forward: Bool, kernels: ReliefKernelLevel = ReliefKernelAuto) {
        precondition(directions.count == 2 || directions.count == 4)
        (self.volume, self.intensity, self.p1, self.p2, self.gradientScale) = (volume, intensity, p1, p2, gradientScale)
        (self.directions, self.forward, self.kernels) = (directions, forward, kernels)
        offsets = .allocate(capacity: 8)
        offsets.initialize(repeating: 0, count: 8)
        for (j, direction) in directions.enumerated() {
            offsets[j] = Int32(direction.dx)
            offsets[4 + j] = Int32(direction.dy)
        }
        let (width, count, stride) = (volume.width, volume.count, volume.stride)
        let sentinel = UInt8(255 - p1)
        origin = volume.offsets == nil ? 0 : stride + 2
        vectorLength = stride + 16 + 2 * origin
        // One vector of the "before the path starts" state: zeros, guards and padding at the sentinel.
        start = .allocate(capacity: vectorLength)
        start.initialize(repeating: sentinel, count: vectorLength)
        for d in 0..<count { start[d + 1] = 0 }
        rowLength = max(width, 1) * vectorLength
        let directionCount = directions.count
        // Row buffers (previous and current) for every direction; the horizontal direction (index 0,
        // dy == 0) only uses pixel 0 and 1 of them.
        rows = .allocate(capacity: 2 * directionCount * rowLength)
        rows.initialize(repeating: sentinel, count: 2 * directionCount * rowLength)
        mins = .allocate(capacity: 2 * directionCount * max(width, 2))
        mins.initialize(repeating: 0, count: 2 * directionCount * max(width, 2))
        states = .allocate(capacity: directionCount)
    }

    deinit { start.deallocate(); rows.deallocate(); mins.deallocate(); states.deallocate(); offsets.deallocate() }

    /// Runs the sweep's `steps` (step s is row s, or row height - 1 - s backwards; steps must
    /// continue where the previous call stopped, from 0), storing row y's sums of this sweep's
    /// path costs to `rowSums(y)` (`width * stride` UInt16, pixel x at `x * stride`), then calling
    /// `completed(y, rowSums(y))`. Each row is one call of the C kernel `relief_sgm_sweep_step`
    /// (SSE2 or AVX2, `kernels`), which runs `sgmPixelStep`'s arithmetic with the state set-up of
    /// `runPlain` (its Swift reference; same sums, tested).
    /// - Complexity: O(W·D·directions) per step.
    func run(steps: Range<Int>, rowSums: (Int) -> UnsafeMutablePointer<UInt16>,
             completed: (Int, UnsafeMutablePointer<UInt16>) -> Void) {
        run(steps: steps, narrow: false, rowSums: { UnsafeMutableRawPointer(rowSums($0)) },
            completed: { completed($0, $1.assumingMemoryBound(to: UInt16.self)) })
    }

    /// `run` with the sums stored as UInt8 (`width * stride` a row), added in wrapping 8-bit
    /// arithmetic: the same values for the cells below `count` when `narrowSumsExact` holds.
    func runNarrow(steps: Range<Int>, rowSums: (Int) -> UnsafeMutablePointer<UInt8>,
                   completed: (Int, UnsafeMutablePointer<UInt8>) -> Void) {
        run(steps: steps, narrow: true, rowSums: { UnsafeMutableRawPointer(rowSums($0)) },
            completed: { completed($0, $1.assumingMemoryBound(to: UInt8.self)) })
    }

    /// `run` (`narrow` false: UInt16 sums) or `runNarrow` on untyped row pointers.
    func run(steps: Range<Int>, narrow: Bool, rowSums: (Int) -> UnsafeMutableRawPointer,
             completed: (Int, UnsafeMutableRawPointer) -> Void) {
        let (width, height) = (volume.width, volume.height)
        guard width > 0, height > 0 else { return }
        let useGradient = gradientScale != nil && intensity.count == width * height
        var sweep = ReliefSGMSweep(
            costs: UnsafePointer(volume.cells), intensity: useGradient ? intensity.baseAddress : nil,
            gradientScale: gradientScale ?? 1, width: Int32(width), height: Int32(height),
            count: Int32(volume.count), stride: Int32(volume.stride), p1: Int32(p1), p2: Int32(p2),
            directions: Int32(directions.count), dx: UnsafePointer(offsets), dy: UnsafePointer(offsets + 4),
            forward: forward ? 1 : 0, rows: rows, mins: mins, start: UnsafePointer(start),
            rowLength: Int32(rowLength), vectorLength: Int32(vectorLength),
            offsets: volume.offsets.map { UnsafePointer($0) }, origin: Int32(origin), narrowSums: narrow ? 1 : 0)
        for step in steps {
            let y = forward ? step : height - 1 - step
            let sums = rowSums(y)
            relief_sgm_sweep_step(&sweep, Int32(step), sums, kernels)
            completed(y, sums)
        }
    }

    /// `run` in Swift: the per-pixel state set-up, then `sgmPixelStep` (the reference of the C
    /// sweep kernel).
    func runPlain(steps: Range<Int>, rowSums: (Int) -> UnsafeMutablePointer<UInt16>,
                  completed: (Int, UnsafeMutablePointer<UInt16>) -> Void) {
        let (width, height, count, stride) = (volume.width, volume.height, volume.count, volume.stride)
        guard width > 0, height > 0 else { return }
        let directionCount = directions.count
        let (p1, p2, gradientScale, intensity, forward) = (self.p1, self.p2, self.gradientScale, self.intensity, self.forward)
        let useGradient = gradientScale != nil && intensity.count == width * height
        let p1Byte = UInt8(p1)
        let (rows, mins, states, start, rowLength, vectorLength) = (self.rows, self.mins, self.states, self.start, self.rowLength, self.vectorLength)
        let (offsets, origin, limit) = (volume.offsets, self.origin, stride + 1)
        directions.withUnsafeBufferPointer { directions in
        for step in steps {
            let y = forward ? step : height - 1 - step
            let current = step & 1, previous = 1 - current
            let sums = rowSums(y)
            for xStep in 0..<width {
                let x = forward ? xStep : width - 1 - xStep
                for (index, direction) in directions.enumerated() {
                    let px = x + direction.dx, py = y + direction.dy
                    let inside = px >= 0 && px < width && py >= 0 && py < height
                    var penalty = p2
                    if useGradient && inside {
                        penalty = effectiveP2(p1: p1, p2: p2, gradientScale: gradientScale,
                                              intensity[y * width + x], intensity[py * width + px])
                    }
                    // Per-pixel windows: the previous pixel's cell i + shift is this pixel's cell i.
                    var shift = 0
                    if let offsets, inside {
                        shift = min(max(Int(offsets[y * width + x]) - Int(offsets[py * width + px]), -limit), limit)
                    }
                    if direction.dy == 0 {
                        // Horizontal: alternate between two pixel slots of row buffer `current`.
                        let slots = rows + (current * directionCount + index) * rowLength + origin
                        let mySlot = xStep & 1
                        states[index] = SGMPathState(
                            previous: inside ? UnsafePointer(slots + (1 - mySlot) * vectorLength + shift) : UnsafePointer(start),
                            previousMin: inside ? mins[(current * directionCount + index) * width + (1 - mySlot)] : 0,
                            p2: UInt8(penalty), out: slots + mySlot * vectorLength,
                            outMin: mins + (current * directionCount + index) * width + mySlot)
                    } else {
                        let previousRow = rows + (previous * directionCount + index) * rowLength + origin
                        states[index] = SGMPathState(
                            previous: inside ? UnsafePointer(previousRow + px * vectorLength + shift) : UnsafePointer(start),
                            previousMin: inside ? mins[(previous * directionCount + index) * width + px] : 0,
                            p2: UInt8(penalty),
                            out: rows + (current * directionCount + index) * rowLength + origin + x * vectorLength,
                            outMin: mins + (current * directionCount + index) * width + x)
                    }
                }
                sgmPixelStep(cost: volume.cells + (y * width + x) * stride, states: states, directions: directionCount,
                             p1: p1Byte, count: count, stride: stride, sum: sums + x * stride, accumulate: false)
            }
            completed(y, sums)
        }
        }
    }
}

/// Whether the UInt8 sums of `runNarrow` are exact for a sweep over `paths` (half of them per
/// sweep): every path cost lies in [C, C + P2] (see the file header), so a sweep's sum is at most
/// `paths / 2 * (maxCost + p2)`.
func narrowSumsExact(paths: SGMPaths, maxCost: Int, p2: Int) -> Bool {
    paths.rawValue / 2 * (maxCost + p2) <= 255
}

/// Semi-global aggregation and the decision of every row, with one volume for the sums instead
/// of two (`sgmAggregate` + `decideDisparities` keep both sweeps' sums for the whole tile, this
/// keeps half of each): the forward sweep (rows top to bottom) and the backward sweep (bottom to
/// top) run concurrently; in a first phase each covers its half of the rows (the top half for the
/// forward sweep, the bottom one for the backward sweep), storing its sums to the volume; then,
/// after one barrier, each goes on into the other's half, where each row's other sums are already
/// stored, so that the row's S is complete as soon as the sweep leaves it: `decide(y, forwardRow,
/// backwardRow)` is called there, the current sweep's sums in a row buffer.
/// Same sums as `sgmAggregate` (the same `SGMSweep` steps, in the same order per sweep).
///
/// - Parameters:
///   - sums: at least `width * height * stride` UInt16, or UInt8 with `narrow`.
///   - narrow: the sums as UInt8 (`SGMSweep.runNarrow`: half the memory and traffic); the caller
///     checks `narrowSumsExact`.
///   - decide: called once per row, concurrently for distinct rows from 2 workers (0 and 1), with
///     the forward and the backward sums of the row (`width * stride` each, pixel x at `x * stride`;
///     UInt16, or UInt8 with `narrow`).
/// - Complexity: O(W·H·D·paths) time; O(W·D·paths) scratch besides `sums` (2 bytes per cell, 1
///   with `narrow`).
func sgmAggregatePipelined(
    _ volume: CostVolume, intensity: [Float], p1: Int, p2: Int, gradientScale: Float?, paths: SGMPaths,
    sums: UnsafeMutableRawPointer, narrow: Bool = false,
    decide: @Sendable (_ worker: Int, _ y: Int, UnsafeRawPointer, UnsafeRawPointer) -> Void
) {
    let (width, height, stride) = (volume.width, volume.height, volume.stride)
    guard width > 0, height > 0 else { return }
    let rowBytes = width * stride * (narrow ? 1 : 2)
    let half = height / 2  // forward: steps 0..<half in phase 1; backward: steps 0..<(height - half)
    nonisolated(unsafe) let sums = sums
    intensity.withUnsafeBufferPointer { intensity in
        let sweeps = [true, false].map {
            SGMSweep(volume, intensity: intensity, p1: p1, p2: p2, gradientScale: gradientScale,
                     directions: sgmDirections(paths, forward: $0), forward: $0)
        }
        let rowBuffers = (0..<2).map { _ in UnsafeMutableRawPointer.allocate(byteCount: rowBytes, alignment: 64) }
        defer { rowBuffers.forEach { $0.deallocate() } }
        nonisolated(unsafe) let buffers = rowBuffers
        DispatchQueue.concurrentPerform(iterations: 2) { sweep in
            let steps = sweep == 0 ? 0..<half : 0..<(height - half)
            sweeps[sweep].run(steps: steps, narrow: narrow, rowSums: { sums + $0 * rowBytes }, completed: { _, _ in })
        }
        DispatchQueue.concurrentPerform(iterations: 2) { sweep in
            let steps = sweep == 0 ? half..<height : (height - half)..<height
            sweeps[sweep].run(steps: steps, narrow: narrow, rowSums: { _ in buffers[sweep] }, completed: { y, mine in
                let stored = UnsafeRawPointer(sums + y * rowBytes)
                if sweep == 0 { decide(0, y, UnsafeRawPointer(mine), stored) } else { decide(1, y, stored, UnsafeRawPointer(mine)) }
            })
        }
    }
}

/// Plain version of `sgmAggregate`: each direction on its own, whole-tile path costs in `Int`,
/// straight from eq. 13. Returns S for cells `0..<count`, packed `(y * width + x) * count + i`.
/// - Complexity: O(W·H·D·paths) time, O(W·H·D) memory.
func sgmAggregateReference(
    costs: [UInt8], width: Int, height: Int, count: Int, intensity: [Float],
    p1: Int, p2: Int, gradientScale: Float?, paths: SGMPaths
) -> [Int] {
    var total = [Int](repeating: 0, count: width * height * count)
    let directions = sgmDirections(paths, forward: true) + sgmDirections(paths, forward: false)
    for direction in directions {
        var path = [Int](repeating: 0, count: width * height * count)
        // Raster order for directions coming from above/left, reverse raster order otherwise.
        let forward = direction.dy < 0 || (direction.dy == 0 && direction.dx < 0)
        for step in 0..<(width * height) {
            let pixel = forward ? step : width * height - 1 - step
            let x = pixel % width, y = pixel / width
            let px = x + direction.dx, py = y + direction.dy
            let base = pixel * count
            guard px >= 0 && px < width && py >= 0 && py < height else {
                for d in 0..<count { path[base + d] = Int(costs[base + d]) }
                continue
            }
            let penalty = gradientScale == nil ? p2
                : effectiveP2(p1: p1, p2: p2, gradientScale: gradientScale, intensity[pixel], intensity[py * width + px])
            let previous = (py * width + px) * count
            var previousMin = Int.max
            for d in 0..<count { previousMin = min(previousMin, path[previous + d]) }
            for d in 0..<count {
                var best = path[previous + d]
                if d > 0 { best = min(best, path[previous + d - 1] + p1) }
                if d + 1 < count { best = min(best, path[previous + d + 1] + p1) }
                best = min(best, previousMin + penalty)
                path[base + d] = Int(costs[base + d]) + best - previousMin
            }
        }
        for i in 0..<total.count { total[i] += path[i] }
    }
    return total
}
