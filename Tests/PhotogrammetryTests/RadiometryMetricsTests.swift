import Foundation
import Photogrammetry
import Raster
import Testing

/// Quality indices on known values, and the resampling / degradation kernels on exact cases.
@Suite("Radiometry: quality metrics and kernels")
struct RadiometryMetricsTests {
    /// A 4-band 64x64 image with texture: band b, pixel (x, y) = 100 (b + 1) + 30 sin(x / 5 + b) cos(y / 7).
    static func textured(width: Int = 64, height: Int = 64) -> ImageBuffer<Float> {
        var image = ImageBuffer<Float>(width: width, height: height, bands: 4)
        for b in 0..<4 { for y in 0..<height { for x in 0..<width {
            image[x, y, b] = Float(100 * Double(b + 1) + 30 * sin(Double(x) / 5 + Double(b)) * cos(Double(y) / 7))
        } } }
        return image
    }

    @Test("identical images: ERGAS 0, SAM 0, Q4 1, Q 1")
    func identical() throws {
        let a = Self.textured()
        let q = try FusionQuality(reference: a, fused: a)
        #expect(q.ergas == 0 && q.sam < 1e-5)   // acos of a Float-rounded 1 may be ~1e-6 rad
        #expect(abs(q.q4 - 1) < 1e-9 && abs(q.meanQ - 1) < 1e-9)
    }

    @Test("known values: ERGAS of an offset, SAM of orthogonal and proportional spectra, Q of an offset")
    func knownValues() throws {
        let a = Self.textured()
        var b = a
        for k in b.storage.indices { b.storage[k] += 10 }
        // ERGAS = 100 / 4 · sqrt(mean_k (10 / μ_k)²), μ_k = 100 (k + 1) + (mean of the texture).
        var means = [Double](repeating: 0, count: 4)
        for band in 0..<4 { for k in 0..<4096 { means[band] += Double(a.storage[band * 4096 + k]) / 4096 } }
        var meanRatio = 0.0
        for m in means { meanRatio += 100 / (m * m) / 4 }
        let expected = 25 * meanRatio.squareRoot()
        #expect(abs(try ergas(reference: a, fused: b) - expected) < 1e-9 * expected)
        // Q of a plus a constant: the correlation and contrast terms are 1, the luminance term
        // 2 μa μb / (μa² + μb²) per block.
        let q = try qualityIndex(reference: a, fused: b, band: 0, block: 64)
        let ma = means[0], mb = means[0] + 10
        #expect(abs(q - 2 * ma * mb / (ma * ma + mb * mb)) < 1e-6)
        // Proportional spectra: SAM 0 but ERGAS > 0; orthogonal spectra: 90°.
        var twice = a
        for k in twice.storage.indices { twice.storage[k] *= 2 }
        #expect(try spectralAngle(reference: a, fused: twice) < 1e-3)
        var e1 = ImageBuffer<Float>(width: 1, height: 1, bands: 4), e2 = e1
        e1[0, 0, 0] = 1; e2[0, 0, 1] = 3
        #expect(abs(try spectralAngle(reference: e1, fused: e2) - 90) < 1e-9)
        // Q4 sees a band swap that per-band means of Q would not.
        var swapped = a
        for y in 0..<64 { for x in 0..<64 { swapped[x, y, 0] = a[x, y, 1]; swapped[x, y, 1] = a[x, y, 0] } }
        #expect(try q4(reference: a, fused: swapped) < 0.95)
        #expect(throws: RadiometryError.self) { try ergas(reference: a, fused: Self.textured(width: 32)) }
    }

    @Test("degrade: block-centred samples of a linear ramp, constants kept")
    func degradation() {
        var ramp = ImageBuffer<Float>(width: 64, height: 48)
        for y in 0..<48 { for x in 0..<64 { ramp[x, y] = Float(3 * x + 5 * y) } }
        let d = degrade(ramp, factor: 4, sigma: mtfGaussianSigma(ratio: 4, gainAtNyquist: 0.3))
        #expect(d.width == 16 && d.height == 12)
        // A symmetric filter keeps a ramp: degraded pixel (i, j) = ramp at (4i + 1.5, 4j + 1.5),
        // away from the borders (3σ = 6 px) where the edge replication bends it.
        for j in 2..<10 { for i in 2..<14 {
            #expect(abs(Double(d[i, j]) - (3 * (4 * Double(i) + 1.5) + 5 * (4 * Double(j) + 1.5))) < 1e-3)
        } }
        let flat = degrade(ImageBuffer<Float>(width: 20, height: 20, filledWith: 7), factor: 4, sigma: 2)
        #expect(flat.storage.allSatisfy { abs($0 - 7) < 1e-5 })
        // σ from the MTF: the Gaussian's gain at 1 / (2 · 4) cycles per pixel is 0.3.
        let sigma = mtfGaussianSigma(ratio: 4, gainAtNyquist: 0.3)
        #expect(abs(exp(-2 * Double.pi * Double.pi * sigma * sigma / 64) - 0.3) < 1e-12)
    }

    @Test("upsampleBicubic reproduces a quadratic through a 4x map, clamps at the borders")
    func upsampling() {
        var ms = ImageBuffer<Float>(width: 20, height: 20, bands: 2)
        for b in 0..<2 { for y in 0..<20 { for x in 0..<20 { ms[x, y, b] = Float(x * x + 2 * y + 10 * b) } } }
        let map = AffineMap2D(a: 0.25, b: 0, c: 2, d: 0, e: 0.25, f: 3)   // ms = pan / 4 + (2, 3)
        let up = upsampleBicubic(ms, map: map, width: 48, height: 48)
        // Keys (a = -0.5) is exact for polynomials of degree <= 2 where all 16 taps are inside.
        for y in 0..<48 { for x in 0..<48 {
            let u = Double(x) / 4 + 2, v = Double(y) / 4 + 3
            #expect(abs(Double(up[x, y, 1]) - (u * u + 2 * v + 10)) < 1e-3)
        } }
        let outside = upsampleBicubic(ms, map: .translation(x: -5, y: -5), width: 2, height: 2)
        #expect(outside[0, 0, 0] == ms[0, 0, 0])   // all taps clamped to the corner pixel
    }
}
