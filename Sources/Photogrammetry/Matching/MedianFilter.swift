import Dispatch

/// Lane-wise (minimum, maximum) of two vectors: one compare-exchange of a sorting network.
@inline(__always)
func exchange(_ a: inout SIMD8<Float>, _ b: inout SIMD8<Float>) {
    let smaller = b .< a
    let low = a.replacing(with: b, where: smaller)
    b = b.replacing(with: a, where: smaller)
    a = low
}

/// Median of nine vectors lane by lane: the 19-exchange network of Paeth (Graphics Gems, 1990),
/// as in N. Devillard's `opt_med9`. Same value as sorting (for values without NaN).
@inline(__always)
func median9(_ v: inout (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>,
                        SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>)) -> SIMD8<Float> {
    exchange(&v.1, &v.2); exchange(&v.4, &v.5); exchange(&v.7, &v.8)
    exchange(&v.0, &v.1); exchange(&v.3, &v.4); exchange(&v.6, &v.7)
    exchange(&v.1, &v.2); exchange(&v.4, &v.5); exchange(&v.7, &v.8)
    exchange(&v.0, &v.3); exchange(&v.5, &v.8); exchange(&v.4, &v.7)
    exchange(&v.3, &v.6); exchange(&v.1, &v.4); exchange(&v.2, &v.5)
    exchange(&v.4, &v.7); exchange(&v.4, &v.2); exchange(&v.6, &v.4)
    exchange(&v.4, &v.2)
    return v.4
}

/// 3x3 median over the valid (non-NaN) pixels of each valid pixel's neighbourhood; NaN pixels
/// stay NaN (the filter never fills holes). With an even number of valid neighbours the lower
/// middle value is taken. Rows split over the cores.
///
/// SIMD kernel: inside the image, 8 pixels at a time with the `median9` network in `SIMD8<Float>`
/// (NaN neighbours replaced by -inf and +inf in the proportion that puts the lower median of the
/// valid ones in the middle); the image's border pixels one by one (insertion sort). The plain
/// version `medianFilter3x3Reference` gives the same image.
///
/// - Complexity: O(W·H) time, O(W·H) memory.
func medianFilter3x3(_ image: [Float], width: Int, height: Int) -> [Float] {
    var out: [Float] = []
    medianFilter3x3(image, width: width, height: height, into: &out)
    return out
}

/// `medianFilter3x3` into `out` (made a copy of `image` first, in its own storage when that is
/// unique and large enough).
func medianFilter3x3(_ image: [Float], width: Int, height: Int, into out: inout [Float]) {
    out.removeAll(keepingCapacity: true)
    out.append(contentsOf: image)
    guard width > 0, height > 0 else { return }
    let chunks = min(height, 16)
    image.withUnsafeBufferPointer { image in
        out.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let (image, out) = (image, out)
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                let source = UnsafeRawPointer(image.baseAddress!)
                let size = MemoryLayout<Float>.stride
                for y in (chunk * height / chunks)..<((chunk + 1) * height / chunks) {
                    var x = 0
                    while x < width {
                        if y >= 1 && y + 1 < height && x >= 1 && x + 9 < width {
                            func load(_ dx: Int, _ dy: Int) -> SIMD8<Float> {
                                source.loadUnaligned(fromByteOffset: ((y + dy) * width + x + dx) * size, as: SIMD8<Float>.self)
                            }
                            var v = (load(-1, -1), load(0, -1), load(1, -1), load(-1, 0), load(0, 0), load(1, 0),
                                     load(-1, 1), load(0, 1), load(1, 1))
                            // x != x only for NaN: any NaN sends these 8 pixels to the general path.
                            let nan = (v.0 .!= v.0) .| (v.1 .!= v.1) .| (v.2 .!= v.2) .| (v.3 .!= v.3) .| (v.4 .!= v.4)
                                .| (v.5 .!= v.5) .| (v.6 .!= v.6) .| (v.7 .!= v.7) .| (v.8 .!= v.8)
                            if !any(nan) {
                                let m = median9(&v)
                                for lane in 0..<8 { out[y * width + x + lane] = m[lane] }
                                x += 8
                                continue
                            }
                            // k NaN neighbours: the first a = 4 - (8 - k) / 2 of them (scan order) become
                            // -inf, the others +inf, so the network's middle (sorted index 4) is valid
                            // value 4 - a = (8 - k) / 2, the lower median of the 9 - k valid ones.
                            // Lanes with a NaN centre keep NaN.
                            func flag(_ v: SIMD8<Float>) -> SIMD8<Int32> { SIMD8(repeating: 0).replacing(with: 1, where: v .!= v) }
                            let k = flag(v.0) &+ flag(v.1) &+ flag(v.2) &+ flag(v.3) &+ flag(v.4) &+ flag(v.5)
                                &+ flag(v.6) &+ flag(v.7) &+ flag(v.8)
                            let below = 4 &- ((8 &- k) &>> 1)
                            var seen = SIMD8<Int32>(repeating: 0)
                            func fill(_ v: inout SIMD8<Float>) {
                                let isNaN = v .!= v
                                v.replace(with: SIMD8(repeating: -.infinity), where: isNaN .& (seen .< below))
                                v.replace(with: SIMD8(repeating: .infinity), where: isNaN .& (seen .>= below))
                                seen &+= SIMD8(repeating: 0).replacing(with: 1, where: isNaN)
                            }
                            let centre = v.4
                            fill(&v.0); fill(&v.1); fill(&v.2); fill(&v.3); fill(&v.4); fill(&v.5); fill(&v.6); fill(&v.7); fill(&v.8)
                            let m = median9(&v)
                            for lane in 0..<8 where !centre[lane].isNaN { out[y * width + x + lane] = m[lane] }
                            x += 8
                            continue
                        }
                        if !image[y * width + x].isNaN { out[y * width + x] = medianOfValidNeighbours(image, width, height, x, y) }
                        x += 1
                    }
                }
            }
        }
    }
}

/// The lower median of the valid pixels of the 3x3 neighbourhood of (x, y).
@inline(__always)
func medianOfValidNeighbours(_ image: UnsafeBufferPointer<Float>, _ width: Int, _ height: Int, _ x: Int, _ y: Int) -> Float {
    var window: (Float, Float, Float, Float, Float, Float, Float, Float, Float) = (0, 0, 0, 0, 0, 0, 0, 0, 0)
    return withUnsafeMutableBytes(of: &window) { raw in
        let w = raw.bindMemory(to: Float.self)
        var n = 0
        for ny in max(0, y - 1)...min(height - 1, y + 1) {
            for nx in max(0, x - 1)...min(width - 1, x + 1) {
                let v = image[ny * width + nx]
                if !v.isNaN { w[n] = v; n += 1 }
            }
        }
        var i = 1
        while i < n {
            let v = w[i]
            var j = i - 1
            while j >= 0 && w[j] > v { w[j + 1] = w[j]; j -= 1 }
            w[j + 1] = v
            i += 1
        }
        return w[(n - 1) / 2]
    }
}

/// Plain version of `medianFilter3x3`: every pixel through `medianOfValidNeighbours`.
/// - Complexity: O(W·H).
func medianFilter3x3Reference(_ image: [Float], width: Int, height: Int) -> [Float] {
    var out = image
    image.withUnsafeBufferPointer { image in
        for y in 0..<height {
            for x in 0..<width where !image[y * width + x].isNaN {
                out[y * width + x] = medianOfValidNeighbours(image, width, height, x, y)
            }
        }
    }
    return out
}
