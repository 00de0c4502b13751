import CStereoKernels
import Foundation
import Testing
@testable import Photogrammetry
import Raster

/// The bicubic kernel against analytic answers. Keys' kernel (a = -0.5) reproduces polynomials
/// of degree <= 2 exactly, so a quadratic image resampled by any affine map must equal the
/// quadratic evaluated at the mapped points, up to Float rounding (values below 600: 1e-3).
@Suite("Rectification: bicubic resampling")
struct RectificationResamplingTests {
    static func quadratic(_ x: Double, _ y: Double) -> Double {
        let linear = 10 + 0.75 * x - 0.4 * y
        let square = 0.01 * x * x + 0.004 * x * y - 0.006 * y * y
        return linear + square
    }

    static func image(width: Int, height: Int) -> ImageBuffer<Float> {
        var out = ImageBuffer<Float>(width: width, height: height)
        for y in 0..<height { for x in 0..<width { out[x, y] = Float(quadratic(Double(x), Double(y))) } }
        return out
    }

    /// Rotation by 20°, zoom 0.9, then a translation: output pixel -> source coordinates.
    static let map = AffineMap2D(a: 0.9 * cos(0.35), b: -0.9 * sin(0.35), c: 30.3,
                                 d: 0.9 * sin(0.35), e: 0.9 * cos(0.35), f: 4.7)

    @Test("Keys weights: sum to 1, interpolate at the knots")
    func weights() {
        for u in stride(from: 0.0, to: 1.0, by: 0.0625) {
            #expect(abs(keysWeights(u).sum() - 1) < 1e-15)
        }
        #expect(keysWeights(0) == SIMD4(0, 1, 0, 0))
    }

    @Test("A quadratic image resampled through an affine map equals the analytic values; NaN outside")
    func analytic() {
        let source = Self.image(width: 64, height: 48)
        let out = resampleBicubic(source, map: Self.map, width: 70, height: 50)
        var valid = 0, inside = 0
        for j in 0..<50 {
            for i in 0..<70 {
                let p = Self.map.apply(x: Double(i), y: Double(j))
                let supported = p.x >= 1 && p.y >= 1 && p.x < 62 && p.y < 46   // 4x4 taps inside 64x48
                let v = out[i, j]
                if supported {
                    inside += 1
                    #expect(abs(Double(v) - Self.quadratic(p.x, p.y)) < 1e-3, "(\(i), \(j))")
                } else if p.x < 0.99 || p.y < 0.99 || p.x >= 62.01 || p.y >= 46.01 {
                    #expect(v.isNaN, "(\(i), \(j)) maps to \(p), outside the kernel support")
                }
                if !v.isNaN { valid += 1 }
            }
        }
        #expect(inside > 1000 && valid >= inside && valid < 70 * 50, "both valid and NaN pixels: \(valid)")
    }

    @Test("A NaN source pixel poisons exactly the outputs whose 4x4 support holds it")
    func nodata() {
        var source = Self.image(width: 40, height: 40)
        source[20, 17] = .nan
        let shift = AffineMap2D.translation(x: 0.5, y: 0.25)
        let out = resampleBicubic(source, map: shift, width: 40, height: 40)
        for j in 2..<37 {
            for i in 2..<37 {
                // Output (i, j) reads columns i-1...i+2 and rows j-1...j+2.
                let touches = (i - 1...i + 2).contains(20) && (j - 1...j + 2).contains(17)
                #expect(out[i, j].isNaN == touches, "(\(i), \(j))")
            }
        }
    }

    @Test("Resampling a window with its origin equals resampling the whole image")
    func window() {
        let whole = Self.image(width: 96, height: 80)
        let map = Self.map.followed(by: .translation(x: 10, y: 12))
        let size = (w: 40, h: 30)
        let region = sensorWindow(for: map, width: size.w, height: size.h)
        let part = whole.cropped(to: region)
        let a = resampleBicubic(whole, map: map, width: size.w, height: size.h)
        let b = resampleBicubic(part, origin: (region.x, region.y), map: map, width: size.w, height: size.h)
        #expect(a.storage.allSatisfy { !$0.isNaN }, "the window is inside the image")
        // Same taps and weights; the coordinates differ by the origin's round-off (1e-4 of values < 600).
        for k in a.storage.indices { #expect(abs(a.storage[k] - b.storage[k]) < 1e-4) }
    }

    /// A smooth random texture: uniform noise (LCG) blurred by a 3x3 box.
    static func texture(width: Int, height: Int) -> ImageBuffer<Float> {
        var state: UInt64 = 12345
        var noise = ImageBuffer<Float>(width: width, height: height)
        for k in noise.storage.indices {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            noise.storage[k] = Float(state >> 40) / Float(1 << 24) * 1000
        }
        var out = ImageBuffer<Float>(width: width, height: height)
        for y in 1..<(height - 1) {
            for x in 1..<(width - 1) {
                var sum: Float = 0
                for v in -1...1 { for u in -1...1 { sum += noise[x + u, y + v] } }
                out[x, y] = sum / 9
            }
        }
        return out
    }

    @Test("Row offset: a right image moved by 3 columns and a known fraction of a row is measured back", arguments: [0.4, -0.75])
    func rowOffset(offset: Double) throws {
        let left = Self.texture(width: 120, height: 100)
        // Content at left (x, y) appears at right (x - 3, y + offset): right(x, y) = left(x + 3, y - offset).
        let right = resampleBicubic(left, map: .translation(x: 3, y: -offset), width: 120, height: 100)
        let estimate = try #require(estimateRowOffset(left: left, right: right, disparities: -6...6, step: 10))
        // Parabola refinement of NCC on a blurred texture: biased towards the nearest integer by
        // up to ~0.1 px; 0.15 px allows that.
        #expect(abs(estimate.offset - offset) < 0.15, "\(estimate)")
        #expect(estimate.patches >= 40)
        let none = estimateRowOffset(left: left, right: ImageBuffer(width: 120, height: 100, filledWith: .nan), disparities: -6...6)
        #expect(none == nil, "no patch can match NaN")
    }

    @Test("relief_window_dots: every window at every level equals windowDot bit for bit (patch sides 1-17, 1-40 windows)")
    func windowDotsKernel() {
        var rng = SplitMix64(seed: 5)
        for side in 1...17 {
            for count in [1, 7, 8, 9, 16, 17, 40] {
                let stride = side + count + 3
                let patch = (0..<(side * side)).map { _ in Float.random(in: -100...100, using: &rng) }
                let window = (0..<(stride * side)).map { _ in Float.random(in: 0...4000, using: &rng) }
                patch.withUnsafeBufferPointer { p in
                    window.withUnsafeBufferPointer { w in
                        for level in [ReliefKernelAuto, ReliefKernelBaseline] + (relief_cpu_has_avx2() ? [ReliefKernelAVX2] : []) {
                            var out = [Float](repeating: .nan, count: count)
                            relief_window_dots(p.baseAddress!, w.baseAddress!, Int32(stride), Int32(side), Int32(count), &out, level)
                            for i in 0..<count {
                                let one = windowDot(p.baseAddress!, w.baseAddress! + i, rowStride: stride, side: side)
                                #expect(out[i].bitPattern == one.bitPattern, "side \(side), window \(i) of \(count), level \(level)")
                            }
                        }
                    }
                }
            }
        }
    }

    @Test("Row offset: the integral-image version equals the plain reference (NaN borders, stride, odd sizes)",
          arguments: [(67, 53, 0.3), (120, 100, -0.6), (90, 71, 1.2)])
    func rowOffsetMatchesReference(width: Int, height: Int, offset: Double) throws {
        let left = Self.texture(width: width, height: height)
        var right = resampleBicubic(left, map: .translation(x: 2, y: -offset), width: width, height: height)
        // NaN holes where patches must be skipped, and a padded row stride.
        for y in 10..<20 { for x in 30..<36 { right[x, y] = .nan } }
        var padded = ImageBuffer<Float>(width: width, height: height, rowStride: width + 5, filledWith: -1)
        for y in 0..<height { for x in 0..<width { padded[x, y] = right[x, y] } }
        for rows in [2, 3] {
            let fast = estimateRowOffset(left: left, right: padded, disparities: -5...4, searchRows: rows, step: 7)
            // A search row's dots from one kernel call: the same estimate as one at a time, exactly.
            let single = estimateRowOffset(left: left, right: padded, disparities: -5...4, searchRows: rows, patchRadius: 7,
                                           step: 7, minimumCorrelation: 0.9, minimumPatches: 10, batched: false)
            #expect(fast == single)
            let plain = estimateRowOffsetReference(left: left, right: right, disparities: -5...4, searchRows: rows, step: 7)
            #expect(fast?.patches == plain?.patches)
            // Same patches and rows; the sums are ordered differently (Float dot product, integral
            // images): the refined offsets agree to rounding.
            if let fast, let plain {
                #expect(abs(fast.offset - plain.offset) < 1e-4 && abs(fast.spread - plain.spread) < 1e-4, "\(fast) vs \(plain)")
            }
        }
    }
}
