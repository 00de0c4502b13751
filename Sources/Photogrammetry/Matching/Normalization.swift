/// The robust intensity range of a tile: the `lower` and `upper` quantiles of its valid
/// (non-NaN) pixels, from a regular sample of at most `sampleLimit` pixels. Nil when no pixel is valid.
/// - Complexity: O(N + S log S) for N pixels and S samples.
func robustRange(_ pixels: [Float], lower: Float = 0.02, upper: Float = 0.98, sampleLimit: Int = 65536) -> (low: Float, high: Float)? {
    let step = max(1, pixels.count / sampleLimit)
    var sample: [Float] = []
    sample.reserveCapacity(min(pixels.count, sampleLimit + 1))
    var i = 0
    while i < pixels.count {
        if !pixels[i].isNaN { sample.append(pixels[i]) }
        i += step
    }
    guard !sample.isEmpty else { return nil }
    sample.sort()
    let lo = sample[Int(lower * Float(sample.count - 1))]
    let hi = sample[Int(upper * Float(sample.count - 1))]
    return (lo, hi)
}
