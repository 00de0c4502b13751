import Foundation
import Raster

/// Interpolation kernels of the orthorectification (as gdalwarp's `-r near|bilinear|cubic|lanczos`).
public enum OrthoResampling: String, Sendable, CaseIterable {
    /// The nearest pixel.
    case nearest
    /// 2x2 taps, linear in each axis.
    case bilinear
    /// 4x4 taps, Keys' cubic convolution with a = -0.5 (GDAL's `cubic`; `keysWeights`).
    case bicubic
    /// 6x6 taps, Lanczos windowed sinc with a = 3, weights normalised to 1 (GDAL's `lanczos`).
    case lanczos

    /// Source pixels needed on each side of a sample position.
    public var radius: Int {
        switch self {
        case .nearest, .bilinear: 1
        case .bicubic: 2
        case .lanczos: 3
        }
    }
}

/// The taps of a 1-D kernel at position t (0-based pixel centres): first tap index, tap count
/// (<= 8) and weights.
@inline(__always)
func kernelTaps(_ method: OrthoResampling, _ t: Double) -> (first: Int, count: Int, weights: SIMD8<Double>) {
    let f = t.rounded(.down)
    let u = t - f
    let i = Int(f)
    var w = SIMD8<Double>(repeating: 0)
    switch method {
    case .nearest:
        w[0] = 1
        return (Int(t.rounded(.toNearestOrAwayFromZero)), 1, w)
    case .bilinear:
        w[0] = 1 - u
        w[1] = u
        return (i, 2, w)
    case .bicubic:
        let k = keysWeights(u)
        w[0] = k[0]; w[1] = k[1]; w[2] = k[2]; w[3] = k[3]
        return (i - 1, 4, w)
    case .lanczos:
        var total = 0.0
        for k in 0..<6 {
            let x = u - Double(k - 2)   // distance from tap i - 2 + k
            let v = lanczos3(x)
            w[k] = v
            total += v
        }
        return (i - 2, 6, w / total)
    }
}

/// Lanczos kernel with a = 3: sinc(x) sinc(x / 3) for |x| < 3, 0 beyond.
@inline(__always)
func lanczos3(_ x: Double) -> Double {
    if x == 0 { return 1 }
    guard abs(x) < 3 else { return 0 }
    let px = Double.pi * x
    return 3 * sin(px) * sin(px / 3) / (px * px)
}

/// Resamples every band of `source` at sensor positions: output pixel k (row-major, `width` x
/// `height`) takes the value at (`columns[k]`, `rows[k]`) in the full image's coordinates
/// (0-based pixel centres); `source` holds the image window whose top-left pixel is
/// (`originX`, `originY`), clipped to the image. Taps outside the window are clamped to its
/// border (the window reaches the image border wherever a valid position needs taps beyond it).
/// A position outside the image, [-0.5, imageWidth - 0.5) x [-0.5, imageHeight - 0.5), or a NaN
/// one gives NaN in every band; a NaN tap (source nodata) gives NaN in that band.
///
/// Plain scalar kernel, one tile on one thread (callers parallelise over tiles).
/// - Complexity: O(width · height · bands · taps²), no scratch beyond the output.
public func resampleSensor(
    _ source: ImageBuffer<Float>, originX: Int, originY: Int, imageWidth: Int, imageHeight: Int,
    columns: [Double], rows: [Double], width: Int, height: Int, method: OrthoResampling
) -> ImageBuffer<Float> {
    precondition(columns.count == width * height && rows.count == width * height, "resampleSensor: one position per output pixel")
    let bands = source.bandCount
    var out = ImageBuffer<Float>(width: width, height: height, bands: bands, filledWith: .nan)
    let sw = source.width, sh = source.height, stride = source.rowStride, bandStride = source.bandStride
    let maxCol = Double(imageWidth) - 0.5, maxRow = Double(imageHeight) - 0.5
    let outBandStride = out.bandStride
    source.storage.withUnsafeBufferPointer { src in
        out.storage.withUnsafeMutableBufferPointer { dst in
            for k in 0..<(width * height) {
                let c = columns[k], r = rows[k]
                guard c >= -0.5, c < maxCol, r >= -0.5, r < maxRow else { continue }   // NaN fails too
                let tx = kernelTaps(method, c - Double(originX)), ty = kernelTaps(method, r - Double(originY))
                for b in 0..<bands {
                    let base = b * bandStride
                    var total = 0.0
                    for j in 0..<ty.count {
                        let y = min(max(ty.first + j, 0), sh - 1)
                        let rowBase = base + y * stride
                        var line = 0.0
                        for i in 0..<tx.count {
                            let x = min(max(tx.first + i, 0), sw - 1)
                            line += tx.weights[i] * Double(src[rowBase + x])
                        }
                        total += ty.weights[j] * line
                    }
                    dst[b * outBandStride + k] = Float(total)
                }
            }
        }
    }
    return out
}
