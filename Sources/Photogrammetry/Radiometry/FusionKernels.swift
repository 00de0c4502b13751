import Dispatch
import Raster

/// Fuses a PAN tile with the MS upsampled onto it (same size), by `parameters.method`:
/// - Brovey: out_k = MS_k · P' / I (MS_k where I <= 0);
/// - GSA: out_k = MS_k + g_k (P' - I);
/// with I = Σ w_k MS_k + offset and P' the PAN matched to I (see `FusionParameters`). PAN pixels
/// equal to `panNodata` give `outputNodata` in every band.
///
/// Plain scalar loop, parallel over rows.
/// - Complexity: O(width · height · bands), no scratch.
public func fuse(pan: ImageBuffer<Float>, ms: ImageBuffer<Float>, parameters: FusionParameters,
                 panNodata: Float? = nil, outputNodata: Float = 0) -> ImageBuffer<Float> {
    precondition(pan.width == ms.width && pan.height == ms.height && ms.bandCount == parameters.weights.count,
                 "fuse: PAN \(pan.width)x\(pan.height), MS \(ms.width)x\(ms.height)x\(ms.bandCount)")
    let width = pan.width, height = pan.height, bands = ms.bandCount, plane = width * height
    var out = ImageBuffer<Float>(width: width, height: height, bands: bands)
    let w = parameters.weights.map { Float($0) }, g = parameters.gains.map { Float($0) }
    let offset = Float(parameters.offset), pm = Float(parameters.panMean)
    let ps = Float(parameters.panScale), im = Float(parameters.intensityMean)
    let brovey = parameters.method == .brovey
    out.storage.withUnsafeMutableBufferPointer { buffer in
        nonisolated(unsafe) let pixels = buffer
        DispatchQueue.concurrentPerform(iterations: height) { y in
            var m = [Float](repeating: 0, count: bands)
            for x in 0..<width {
                let p = pan[x, y]
                let o = y * width + x
                if p == panNodata {
                    for b in 0..<bands { pixels[b * plane + o] = outputNodata }
                    continue
                }
                var intensity = offset
                for b in 0..<bands { m[b] = ms[x, y, b]; intensity += w[b] * m[b] }
                let matched = (p - pm) * ps + im
                for b in 0..<bands {
                    if brovey {
                        pixels[b * plane + o] = intensity > 0 ? m[b] * matched / intensity : m[b]
                    } else {
                        pixels[b * plane + o] = m[b] + g[b] * (matched - intensity)
                    }
                }
            }
        }
    }
    return out
}
