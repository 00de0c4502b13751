import Dispatch
import Raster

/// Keys' cubic convolution kernel with a = -0.5 (R. Keys, "Cubic convolution interpolation for
/// digital image processing", IEEE TASSP 29(6), 1981, eq. 15): weights of the 4 taps at offsets
/// -1, 0, 1, 2 from floor(t) for a fractional position u = t - floor(t) in [0, 1). It reproduces
/// polynomials of degree <= 2 exactly (third-order accuracy).
@inline(__always)
func keysWeights(_ u: Double) -> SIMD4<Double> {
    let u2 = u * u, u3 = u2 * u
    let w0 = -0.5 * u3 + u2 - 0.5 * u
    let w1 = 1.5 * u3 - 2.5 * u2 + 1
    let w2 = -1.5 * u3 + 2 * u2 + 0.5 * u
    let w3 = 0.5 * u3 - 0.5 * u2
    return SIMD4(w0, w1, w2, w3)
}

/// Bicubic value of band 0 of `source` at (x, y) in the buffer's own pixel coordinates (0-based
/// pixel centres); NaN when any of the 4x4 taps is outside the buffer or NaN (nodata is never
/// blended into valid pixels).
@inline(__always)
func bicubicSample(_ source: ImageBuffer<Float>, x: Double, y: Double) -> Float {
    guard x.isFinite, y.isFinite else { return .nan }
    let fx = x.rounded(.down), fy = y.rounded(.down)
    let ix = Int(fx) - 1, iy = Int(fy) - 1
    guard ix >= 0, iy >= 0, ix + 3 < source.width, iy + 3 < source.height else { return .nan }
    let wx = keysWeights(x - fx), wy = keysWeights(y - fy)
    var total = 0.0
    for j in 0..<4 {
        let base = (iy + j) * source.rowStride + ix
        let row = SIMD4(Double(source.storage[base]), Double(source.storage[base + 1]),
                        Double(source.storage[base + 2]), Double(source.storage[base + 3]))
        total += wy[j] * (row * wx).sum()
    }
    return Float(total)   // NaN taps propagate: NaN * w = NaN
}

/// Resamples `source` (band 0) through an affine map: output pixel (i, j) of a `width` x
/// `height` image takes the bicubic value (Keys, a = -0.5) of the source at
/// `map(i, j) - origin`, where `map` sends output pixel coordinates to the coordinates of the
/// full sensor image and `origin` is the top-left pixel of `source` in that image (a read
/// window). Output pixels whose 4x4 support leaves `source` or touches a NaN are NaN.
///
/// Plain scalar kernel, parallel over rows (Dispatch).
/// - Complexity: O(width · height) time (16 taps each), no scratch.
public func resampleBicubic(
    _ source: ImageBuffer<Float>, origin: (x: Int, y: Int) = (0, 0), map: AffineMap2D, width: Int, height: Int
) -> ImageBuffer<Float> {
    precondition(width >= 0 && height >= 0, "resampleBicubic: negative size \(width)x\(height)")
    var out = ImageBuffer<Float>(width: width, height: height, filledWith: .nan)
    guard width > 0, height > 0 else { return out }
    let local = map.followed(by: .translation(x: -Double(origin.x), y: -Double(origin.y)))
    out.storage.withUnsafeMutableBufferPointer { buffer in
        nonisolated(unsafe) let pixels = buffer
        DispatchQueue.concurrentPerform(iterations: height) { j in
            for i in 0..<width {
                let p = local.apply(x: Double(i), y: Double(j))
                pixels[j * width + i] = bicubicSample(source, x: p.x, y: p.y)
            }
        }
    }
    return out
}

/// The sensor window that `resampleBicubic` needs to fill a `width` x `height` output through
/// `map` (output pixel -> sensor coordinates): the bounding box of the mapped output corners
/// grown by the kernel support (2 px) and one pixel of rounding.
public func sensorWindow(for map: AffineMap2D, width: Int, height: Int) -> Window {
    let corners = [(0.0, 0.0), (Double(width - 1), 0.0), (0.0, Double(height - 1)), (Double(width - 1), Double(height - 1))]
        .map { map.apply(x: $0.0, y: $0.1) }
    let x0 = Int(corners.map(\.x).min()!.rounded(.down)) - 3
    let y0 = Int(corners.map(\.y).min()!.rounded(.down)) - 3
    let x1 = Int(corners.map(\.x).max()!.rounded(.up)) + 3
    let y1 = Int(corners.map(\.y).max()!.rounded(.up)) + 3
    return Window(x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1)
}
