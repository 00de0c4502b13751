import Dispatch
import Foundation
import Raster

/// Bicubic resampling (Keys, a = -0.5, `keysWeights`) of every band of `source` through an affine
/// map: output pixel (i, j) takes the value at `map(i, j) - origin`, where `map` sends output
/// pixels to the full image's pixel coordinates and `origin` is `source`'s top-left pixel in that
/// image. Taps outside `source` are clamped to its border (edge replication), so the output has
/// no hole; read the source with a margin of 3 px where the image has one.
///
/// Plain scalar kernel, parallel over rows.
/// - Complexity: O(width · height · bands) time (16 taps each), no scratch.
public func upsampleBicubic(
    _ source: ImageBuffer<Float>, origin: (x: Int, y: Int) = (0, 0), map: AffineMap2D, width: Int, height: Int
) -> ImageBuffer<Float> {
    var out = ImageBuffer<Float>(width: width, height: height, bands: source.bandCount)
    guard width > 0, height > 0, source.width > 0, source.height > 0 else { return out }
    let local = map.followed(by: .translation(x: -Double(origin.x), y: -Double(origin.y)))
    let sw = source.width, sh = source.height, bands = source.bandCount, plane = width * height
    out.storage.withUnsafeMutableBufferPointer { buffer in
        nonisolated(unsafe) let pixels = buffer
        DispatchQueue.concurrentPerform(iterations: height) { j in
            for i in 0..<width {
                let p = local.apply(x: Double(i), y: Double(j))
                let fx = p.x.rounded(.down), fy = p.y.rounded(.down)
                let wx = keysWeights(p.x - fx), wy = keysWeights(p.y - fy)
                let ix = Int(fx) - 1, iy = Int(fy) - 1
                var cols = SIMD4<Int>(), rows = SIMD4<Int>()
                for t in 0..<4 {
                    cols[t] = Swift.min(Swift.max(ix + t, 0), sw - 1)
                    rows[t] = Swift.min(Swift.max(iy + t, 0), sh - 1)
                }
                for b in 0..<bands {
                    var total = 0.0
                    for r in 0..<4 {
                        let base = source.index(x: 0, y: rows[r], band: b)
                        let row = SIMD4(Double(source.storage[base + cols[0]]), Double(source.storage[base + cols[1]]),
                                        Double(source.storage[base + cols[2]]), Double(source.storage[base + cols[3]]))
                        total += wy[r] * (row * wx).sum()
                    }
                    pixels[b * plane + j * width + i] = Float(total)
                }
            }
        }
    }
    return out
}

/// The standard deviation (input pixels) of a Gaussian whose frequency response at the Nyquist
/// frequency of the grid decimated by `ratio` (1 / (2 ratio) cycles per pixel) equals
/// `gainAtNyquist`: σ = ratio · sqrt(-2 ln G) / π (the MTF-matched filter of Aiazzi et al. 2006).
/// G = 0.3 for the MS and 0.15 for the PAN are the usual values for Pléiades-class sensors.
public func mtfGaussianSigma(ratio: Int, gainAtNyquist: Double) -> Double {
    precondition(ratio >= 1 && gainAtNyquist > 0 && gainAtNyquist < 1, "mtfGaussianSigma: bad ratio or gain")
    return Double(ratio) * (-2 * log(gainAtNyquist)).squareRoot() / Double.pi
}

/// Separable Gaussian filter along one axis evaluated at arbitrary centres: output sample i along
/// the axis is Σ_t g(t - centre(i)) x(t) / Σ_t g(...) over t within 3σ, taps clamped to the
/// image (edge replication). `centre(i) = step · i + phase`.
private func gaussianPass(
    _ image: ImageBuffer<Float>, alongX: Bool, sigma: Double, step: Int, phase: Double, count: Int
) -> ImageBuffer<Float> {
    let outW = alongX ? count : image.width, outH = alongX ? image.height : count
    var out = ImageBuffer<Float>(width: outW, height: outH, bands: image.bandCount)
    let radius = Int((3 * sigma).rounded(.up)), n = alongX ? image.width : image.height
    // Weights for each output position (they only depend on i along the axis).
    var taps: [(first: Int, weights: [Float])] = []
    for i in 0..<count {
        let c = Double(step * i) + phase
        let lo = Int((c - Double(radius)).rounded(.up)), hi = Int((c + Double(radius)).rounded(.down))
        var w: [Float] = []
        for t in lo...hi { w.append(Float(exp(-((Double(t) - c) * (Double(t) - c)) / (2 * sigma * sigma)))) }
        let total = w.reduce(0, +)
        taps.append((lo, w.map { $0 / total }))
    }
    let lines = alongX ? image.height : image.width, bands = image.bandCount
    let allTaps = taps
    let plane = outW * outH
    out.storage.withUnsafeMutableBufferPointer { buffer in
        nonisolated(unsafe) let pixels = buffer
        DispatchQueue.concurrentPerform(iterations: lines * bands) { job in
            let line = job % lines, b = job / lines
            for i in 0..<count {
                let (first, weights) = allTaps[i]
                var s: Float = 0
                for (k, w) in weights.enumerated() {
                    let t = Swift.min(Swift.max(first + k, 0), n - 1)
                    s += w * (alongX ? image[t, line, b] : image[line, t, b])
                }
                if alongX { pixels[b * plane + line * outW + i] = s } else { pixels[b * plane + i * outW + line] = s }
            }
        }
    }
    return out
}

/// Gaussian low-pass filter of every band (separable, radius 3σ, borders replicated); the output
/// has the input's size.
/// - Complexity: O(width · height · bands · σ) time, one intermediate image.
public func gaussianLowPass(_ image: ImageBuffer<Float>, sigma: Double) -> ImageBuffer<Float> {
    guard sigma > 0 else { return image }
    let h = gaussianPass(image, alongX: true, sigma: sigma, step: 1, phase: 0, count: image.width)
    return gaussianPass(h, alongX: false, sigma: sigma, step: 1, phase: 0, count: image.height)
}

/// Gaussian-filtered values of every band at the lattice of points (origin.x + i · step,
/// origin.y + j · step), i < count.x, j < count.y (radius 3σ, borders replicated): the low-pass
/// PAN where the fusion statistics sample it, without filtering the pixels in between.
/// - Complexity: O(count.x · height · σ + count.x · count.y · σ) per band.
func gaussianSamples(_ image: ImageBuffer<Float>, sigma: Double, step: Int, origin: (x: Int, y: Int),
                     count: (x: Int, y: Int)) -> ImageBuffer<Float> {
    let h = gaussianPass(image, alongX: true, sigma: sigma, step: step, phase: Double(origin.x), count: count.x)
    return gaussianPass(h, alongX: false, sigma: sigma, step: step, phase: Double(origin.y), count: count.y)
}

/// Degrades an image by an integer `factor` as Wald's protocol does: Gaussian (MTF-like) filter
/// of standard deviation `sigma`, then one sample per `factor` x `factor` block, taken at the
/// block's centre (input coordinate factor · i + (factor - 1) / 2), so that degraded pixel i sits
/// where a Pléiades MS pixel sits over its PAN pixels. Output size: floor(size / factor).
/// - Complexity: O(width · height · bands · σ / factor) time.
public func degrade(_ image: ImageBuffer<Float>, factor: Int, sigma: Double) -> ImageBuffer<Float> {
    precondition(factor >= 1 && sigma > 0, "degrade: factor \(factor), sigma \(sigma)")
    let phase = Double(factor - 1) / 2
    let h = gaussianPass(image, alongX: true, sigma: sigma, step: factor, phase: phase, count: image.width / factor)
    return gaussianPass(h, alongX: false, sigma: sigma, step: factor, phase: phase, count: image.height / factor)
}
