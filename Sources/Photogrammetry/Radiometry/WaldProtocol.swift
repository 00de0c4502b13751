import Foundation
import Raster

/// Wald's protocol (Wald, Ranchin, Mangolini, "Fusion of satellite images of different spatial
/// resolutions: assessing the quality of resulting images", PE&RS 63(6), 1997) at reduced
/// resolution: PAN and MS are degraded by the ratio (MTF-like Gaussian, then decimation), fused,
/// and the result is compared with the original MS, which is then the truth at the fused scale.
public struct WaldExperiment: Sendable {
    /// The PAN degraded by `ratio` (gain `panGainAtNyquist` at Nyquist).
    public var pan: ImageBuffer<Float>
    /// The MS degraded by `ratio` (gain `msGainAtNyquist` at Nyquist).
    public var ms: ImageBuffer<Float>
    /// Degraded PAN pixel -> degraded MS pixel.
    public var geometry: PanMSGeometry
    /// The original MS sampled on the degraded PAN grid: the truth.
    public var reference: ImageBuffer<Float>
    /// The part of the degraded PAN grid to score: away from the degraded images' borders (where
    /// the filters replicate edges) by `margin` pixels, and where the truth is inside the MS.
    public var region: Window
    public var ratio: Int

    /// Builds the experiment from a full-resolution PAN (band 0) and MS, related by `geometry`.
    public init(pan fullPan: ImageBuffer<Float>, ms fullMS: ImageBuffer<Float>, geometry full: PanMSGeometry,
                ratio: Int = 4, margin: Int = 2) throws {
        self.ratio = ratio
        let r = Double(ratio), phase = (r - 1) / 2
        pan = degrade(fullPan, factor: ratio, sigma: mtfGaussianSigma(ratio: ratio, gainAtNyquist: panGainAtNyquist))
        ms = degrade(fullMS, factor: ratio, sigma: mtfGaussianSigma(ratio: ratio, gainAtNyquist: msGainAtNyquist))
        // degraded PAN i -> PAN r i + phase -> MS m -> degraded MS (m - phase) / r
        let panFromDegraded = AffineMap2D(a: r, b: 0, c: phase, d: 0, e: r, f: phase)
        let msFromDegradedPan = panFromDegraded.followed(by: full.msFromPan)
        let degradedFromMS = AffineMap2D(a: 1 / r, b: 0, c: -phase / r, d: 0, e: 1 / r, f: -phase / r)
        geometry = PanMSGeometry(msFromPan: msFromDegradedPan.followed(by: degradedFromMS), maxResidual: full.maxResidual)
        reference = upsampleBicubic(fullMS, map: msFromDegradedPan, width: pan.width, height: pan.height)
        // Score where the truth's bicubic support is inside the MS (>= 1 px from its edges), the
        // degraded MS position is >= `margin` px inside it, and away from the degraded PAN's edges.
        let degradedMap = geometry.msFromPan, msW = ms.width, msH = ms.height, mg = Double(margin)
        let inside = { (i: Int, j: Int) -> Bool in
            let m = msFromDegradedPan.apply(x: Double(i), y: Double(j))
            let d = degradedMap.apply(x: Double(i), y: Double(j))
            return m.x >= 1 && m.y >= 1 && m.x <= Double(fullMS.width - 2) && m.y <= Double(fullMS.height - 2)
                && d.x >= mg && d.y >= mg && d.x <= Double(msW - 1) - mg && d.y <= Double(msH - 1) - mg
        }
        let pw = pan.width, ph = pan.height
        let xs = (margin..<(pw - margin)).filter { inside($0, ph / 2) }
        let ys = (margin..<(ph - margin)).filter { inside(pw / 2, $0) }
        guard let x0 = xs.first, let x1 = xs.last, let y0 = ys.first, let y1 = ys.last, x1 - x0 >= 31, y1 - y0 >= 31 else {
            throw RadiometryError.incompatibleImages(pan: "PAN", ms: "MS", reason: "the degraded images overlap on less than 32x32 pixels")
        }
        region = Window(x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1)
    }

    /// The quality of a fused image (on the degraded PAN grid) against the truth, on `region`.
    public func score(_ fused: ImageBuffer<Float>) throws -> FusionQuality {
        try FusionQuality(reference: reference, fused: fused, ratio: Double(ratio), region: region)
    }

    /// Fuses the degraded images with `method`.
    public func fuse(_ method: PansharpenMethod) throws -> ImageBuffer<Float> {
        try pansharpen(pan: pan, ms: ms, geometry: geometry, method: method, ratio: ratio)
    }

    /// The degraded MS upsampled onto the degraded PAN grid without fusion ("EXP"): the floor any
    /// method must beat.
    public func upsampledOnly() -> ImageBuffer<Float> {
        upsampleBicubic(ms, map: geometry.msFromPan, width: pan.width, height: pan.height)
    }
}
