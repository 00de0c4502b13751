// Confidence from the ambiguity of the matching-cost curve (after CNES Pandora's "ambiguity"
// measure, Sarrazin et al., "Ambiguity concept in stereo matching pipeline", ISPRS 2021):
// the ambiguity integrates, over tolerances η from 0 to `levels`, the number of disparities whose
// cost lies within η of the minimum. A single sharp minimum gives the smallest ambiguity.

/// Confidence in [0, 1] of one pixel from its raw census costs `costs[0..<count]`:
/// `1 - (A - (L+1)) / ((count - 1)(L+1))` with `A = Σ_t #{d : c(d) - min <= t}, t = 0...L`
/// = `Σ_d max(0, L + 1 - (c(d) - min))`. 1 = only the winner within L of the minimum;
/// 0 = a flat curve. `count == 1` gives 1.
///
/// SIMD kernel: 16 costs per step in `SIMD16<UInt8>` (`stride` readable bytes, a multiple of 16);
/// plain version `ambiguityConfidenceReference` (same value).
/// - Precondition: `levels < 255`.
/// - Complexity: O(D).
@inline(__always)
func ambiguityConfidence(_ costs: UnsafePointer<UInt8>, count: Int, stride: Int, levels: Int) -> Float {
    guard count > 1 else { return 1 }
    let raw = UnsafeRawPointer(costs)
    let lane = SIMD16<UInt8>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
    var minimum = SIMD16<UInt8>(repeating: 255)
    var k = 0
    while k < stride {
        var c = raw.loadUnaligned(fromByteOffset: k, as: SIMD16<UInt8>.self)
        if k + 16 > count { c.replace(with: 255, where: lane .>= SIMD16(repeating: UInt8(truncatingIfNeeded: max(count - k, 0)))) }
        minimum = lanewiseMin(minimum, c)
        k += 16
    }
    let m = SIMD16<UInt8>(repeating: horizontalMin(minimum))
    let span = SIMD16<UInt8>(repeating: UInt8(levels + 1))
    var total = SIMD16<UInt16>(repeating: 0)
    k = 0
    while k < stride {
        var c = raw.loadUnaligned(fromByteOffset: k, as: SIMD16<UInt8>.self)
        if k + 16 > count { c.replace(with: 255, where: lane .>= SIMD16(repeating: UInt8(truncatingIfNeeded: max(count - k, 0)))) }
        let within = span &- lanewiseMin(c &- m, span)
        total &+= widen(within)
        k += 16
    }
    var ambiguity = 0
    for i in 0..<16 { ambiguity += Int(total[i]) }
    let levelCount = Float(levels + 1)
    return 1 - Float(ambiguity - (levels + 1)) / (Float(count - 1) * levelCount)
}

/// Plain version of `ambiguityConfidence`.
/// - Complexity: O(D).
func ambiguityConfidenceReference(_ costs: UnsafePointer<UInt8>, count: Int, levels: Int) -> Float {
    guard count > 1 else { return 1 }
    var minimum = Int.max
    for i in 0..<count { minimum = min(minimum, Int(costs[i])) }
    var ambiguity = 0
    for i in 0..<count { ambiguity += max(0, levels + 1 - (Int(costs[i]) - minimum)) }
    let levelCount = Float(levels + 1)
    return 1 - Float(ambiguity - (levels + 1)) / (Float(count - 1) * levelCount)
}
