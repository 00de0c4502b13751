import Foundation
import Raster

/// Pan-sharpening quality indices of a fused image against a reference (Wald's protocol), on
/// the window `region` of both (all pixels by default). Non-finite pixels are skipped.

private func checkSameShape(_ reference: ImageBuffer<Float>, _ fused: ImageBuffer<Float>) throws {
    guard reference.width == fused.width, reference.height == fused.height, reference.bandCount == fused.bandCount else {
        throw RadiometryError.sizeMismatch("reference \(reference.width)x\(reference.height)x\(reference.bandCount), "
                                           + "fused \(fused.width)x\(fused.height)x\(fused.bandCount)")
    }
}

/// ERGAS (Wald 2000, "relative dimensionless global error in synthesis"):
/// 100 · (h / l) · sqrt(mean_k RMSE_k² / μ_k²), h / l = PAN pixel size / MS pixel size
/// (1 / `ratio`), μ_k the reference band's mean. 0 for identical images; lower is better.
/// - Complexity: O(pixels · bands).
public func ergas(reference: ImageBuffer<Float>, fused: ImageBuffer<Float>, ratio: Double = 4, region: Window? = nil) throws -> Double {
    try checkSameShape(reference, fused)
    let r = region ?? Window(width: reference.width, height: reference.height)
    var total = 0.0
    for b in 0..<reference.bandCount {
        var se = 0.0, sum = 0.0, n = 0.0
        for y in r.y..<r.maxY {
            for x in r.x..<r.maxX {
                let a = Double(reference[x, y, b]), f = Double(fused[x, y, b])
                guard a.isFinite, f.isFinite else { continue }
                se += (a - f) * (a - f); sum += a; n += 1
            }
        }
        guard n > 0, sum != 0 else { throw RadiometryError.sizeMismatch("band \(b + 1): no valid pixel or zero mean") }
        let mean = sum / n
        total += (se / n) / (mean * mean)
    }
    return 100 / ratio * (total / Double(reference.bandCount)).squareRoot()
}

/// Spectral angle mapper: the mean over pixels of the angle (degrees) between the reference and
/// fused spectral vectors. 0 for identical (or proportional) spectra. Pixels where either vector
/// is zero are skipped.
/// - Complexity: O(pixels · bands).
public func spectralAngle(reference: ImageBuffer<Float>, fused: ImageBuffer<Float>, region: Window? = nil) throws -> Double {
    try checkSameShape(reference, fused)
    let r = region ?? Window(width: reference.width, height: reference.height)
    var total = 0.0, n = 0.0
    for y in r.y..<r.maxY {
        for x in r.x..<r.maxX {
            var dot = 0.0, na = 0.0, nf = 0.0
            for b in 0..<reference.bandCount {
                let a = Double(reference[x, y, b]), f = Double(fused[x, y, b])
                dot += a * f; na += a * a; nf += f * f
            }
            guard na > 0, nf > 0, dot.isFinite else { continue }
            total += acos(min(1, max(-1, dot / (na * nf).squareRoot())))
            n += 1
        }
    }
    return n > 0 ? total / n * 180 / .pi : .nan
}

/// Wang and Bovik's universal image quality index Q of one band, averaged over `block` x `block`
/// blocks (non-overlapping, as the usual 32 x 32): Q = 4 σ_ab μ_a μ_b / ((σ_a² + σ_b²)(μ_a² + μ_b²)).
/// 1 for identical images. Blocks where the denominator is 0 count 1 when identical, else 0.
/// - Complexity: O(pixels).
public func qualityIndex(reference: ImageBuffer<Float>, fused: ImageBuffer<Float>, band: Int, block: Int = 32,
                         region: Window? = nil) throws -> Double {
    try checkSameShape(reference, fused)
    let r = region ?? Window(width: reference.width, height: reference.height)
    var total = 0.0, blocks = 0
    for by in stride(from: r.y, through: r.maxY - block, by: block) {
        for bx in stride(from: r.x, through: r.maxX - block, by: block) {
            var sa = 0.0, sb = 0.0, saa = 0.0, sbb = 0.0, sab = 0.0
            for y in by..<by + block {
                for x in bx..<bx + block {
                    let a = Double(reference[x, y, band]), b = Double(fused[x, y, band])
                    sa += a; sb += b; saa += a * a; sbb += b * b; sab += a * b
                }
            }
            let n = Double(block * block)
            let ma = sa / n, mb = sb / n
            let va = saa / n - ma * ma, vb = sbb / n - mb * mb, cab = sab / n - ma * mb
            let den = (va + vb) * (ma * ma + mb * mb)
            total += den > 0 ? 4 * cab * ma * mb / den : (saa == sbb && sab == saa ? 1 : 0)
            blocks += 1
        }
    }
    return blocks > 0 ? total / Double(blocks) : .nan
}

/// A quaternion a + b i + c j + d k (Q4 works on 4-band pixels as quaternions).
struct Quaternion {
    var a = 0.0, b = 0.0, c = 0.0, d = 0.0
    static func + (p: Quaternion, q: Quaternion) -> Quaternion { Quaternion(a: p.a + q.a, b: p.b + q.b, c: p.c + q.c, d: p.d + q.d) }
    static func - (p: Quaternion, q: Quaternion) -> Quaternion { Quaternion(a: p.a - q.a, b: p.b - q.b, c: p.c - q.c, d: p.d - q.d) }
    static func * (p: Quaternion, q: Quaternion) -> Quaternion {
        Quaternion(a: p.a * q.a - p.b * q.b - p.c * q.c - p.d * q.d,
                   b: p.a * q.b + p.b * q.a + p.c * q.d - p.d * q.c,
                   c: p.a * q.c - p.b * q.d + p.c * q.a + p.d * q.b,
                   d: p.a * q.d + p.b * q.c - p.c * q.b + p.d * q.a)
    }
    func scaled(_ s: Double) -> Quaternion { Quaternion(a: a * s, b: b * s, c: c * s, d: d * s) }
    var conjugate: Quaternion { Quaternion(a: a, b: -b, c: -c, d: -d) }
    var norm2: Double { a * a + b * b + c * c + d * d }
}

/// Q4 (Alparone, Baronti, Garzelli, Nencini, "A global quality measurement of pan-sharpened
/// multispectral imagery", IEEE GRSL 1(4), 2004): each 4-band pixel is a quaternion z; on each
/// `block` x `block` block (non-overlapping),
/// Q4 = 4 |σ_zẑ| |μ_z| |μ_ẑ| / ((σ_z² + σ_ẑ²)(|μ_z|² + |μ_ẑ|²)), σ_zẑ = E[z ẑ*] - μ_z μ_ẑ*,
/// averaged over blocks. 1 for identical images; it sees both spectral and spatial distortion.
/// - Complexity: O(pixels).
public func q4(reference: ImageBuffer<Float>, fused: ImageBuffer<Float>, block: Int = 32, region: Window? = nil) throws -> Double {
    try checkSameShape(reference, fused)
    guard reference.bandCount == 4 else { throw RadiometryError.sizeMismatch("Q4 needs 4 bands, got \(reference.bandCount)") }
    let r = region ?? Window(width: reference.width, height: reference.height)
    func pixel(_ image: ImageBuffer<Float>, _ x: Int, _ y: Int) -> Quaternion {
        Quaternion(a: Double(image[x, y, 0]), b: Double(image[x, y, 1]), c: Double(image[x, y, 2]), d: Double(image[x, y, 3]))
    }
    var total = 0.0, blocks = 0
    for by in stride(from: r.y, through: r.maxY - block, by: block) {
        for bx in stride(from: r.x, through: r.maxX - block, by: block) {
            var mz = Quaternion(), mf = Quaternion(), cross = Quaternion(), nz = 0.0, nf = 0.0
            for y in by..<by + block {
                for x in bx..<bx + block {
                    let z = pixel(reference, x, y), f = pixel(fused, x, y)
                    mz = mz + z; mf = mf + f; cross = cross + z * f.conjugate
                    nz += z.norm2; nf += f.norm2
                }
            }
            let n = Double(block * block)
            mz = mz.scaled(1 / n); mf = mf.scaled(1 / n)
            let covariance = cross.scaled(1 / n) - mz * mf.conjugate
            let vz = nz / n - mz.norm2, vf = nf / n - mf.norm2
            let den = (vz + vf) * (mz.norm2 + mf.norm2)
            let q = den > 0 ? 4 * covariance.norm2.squareRoot() * (mz.norm2 * mf.norm2).squareRoot() / den : (vz == vf ? 1 : 0)
            total += q; blocks += 1
        }
    }
    return blocks > 0 ? total / Double(blocks) : .nan
}

/// ERGAS, SAM, Q4 (4-band images; NaN otherwise) and the mean per-band Q of a fused image.
public struct FusionQuality: Sendable, CustomStringConvertible {
    public var ergas: Double
    public var sam: Double
    public var q4: Double
    public var meanQ: Double

    public init(reference: ImageBuffer<Float>, fused: ImageBuffer<Float>, ratio: Double = 4, region: Window? = nil) throws {
        ergas = try Photogrammetry.ergas(reference: reference, fused: fused, ratio: ratio, region: region)
        sam = try spectralAngle(reference: reference, fused: fused, region: region)
        q4 = reference.bandCount == 4 ? try Photogrammetry.q4(reference: reference, fused: fused, region: region) : .nan
        meanQ = try (0..<reference.bandCount).map { try qualityIndex(reference: reference, fused: fused, band: $0, region: region) }
            .reduce(0, +) / Double(reference.bandCount)
    }

    public var description: String {
        String(format: "ERGAS %.3f  SAM %.3f°  Q4 %.4f  mean Q %.4f", ergas, sam, q4, meanQ)
    }
}
