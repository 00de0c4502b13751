import Testing
@testable import Photogrammetry

/// The two-band speckle filter equals the one-pass reference, including regions that cross the
/// middle rows, and removes exactly the small regions.
@Suite("Speckle filter")
struct SpeckleFilterTests {
    /// A map of flat patches (random sizes and levels), NaN holes and noise, whose regions straddle
    /// the middle rows at every scale.
    static func patchwork(width: Int, height: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        var d = [Float](repeating: 0, count: width * height)
        for i in d.indices { d[i] = Float.random(in: 0...60, using: &rng) }  // noise: 1-pixel regions mostly
        for _ in 0..<(width * height / 150) {
            let w = Int.random(in: 1...40, using: &rng), h = Int.random(in: 1...40, using: &rng)
            let x0 = Int.random(in: 0..<width, using: &rng), y0 = Int.random(in: 0..<height, using: &rng)
            let level = Float(Int.random(in: 0...20, using: &rng)) * 3
            let hole = Int.random(in: 0..<6, using: &rng) == 0
            for y in y0..<min(height, y0 + h) {
                for x in x0..<min(width, x0 + w) {
                    d[y * width + x] = hole ? .nan : level + Float.random(in: -0.6...0.6, using: &rng)
                }
            }
        }
        return d
    }

    @Test("two bands equal the one-pass filter on random patchworks (sizes 1...300, heights around the 64-row switch)")
    func equalsReference() {
        var checked = 0
        for (width, height) in [(1, 1), (7, 63), (64, 64), (65, 130), (200, 97), (300, 200), (13, 301)] {
            for (size, range) in [(1, Float(0)), (25, 1), (100, 2), (400, 5)] {
                let input = Self.patchwork(width: width, height: height, seed: UInt64(width * 1000 + height + size))
                var fast = input, plain = input, scratch: [Int32] = []
                removeSpeckles(&fast, width: width, height: height, maximumSize: size, maximumDifference: range, scratch: &scratch)
                removeSpecklesReference(&plain, width: width, height: height, maximumSize: size, maximumDifference: range,
                                        scratch: &scratch)
                let differing = zip(fast, plain).filter { !($0 == $1 || ($0.isNaN && $1.isNaN)) }.count
                #expect(differing == 0, "\(width)x\(height) size \(size) range \(range): \(differing) pixels differ")
                checked += fast.filter(\.isNaN).count - input.filter(\.isNaN).count
            }
        }
        #expect(checked > 1000, "the maps had speckles to remove")
    }

    @Test("a 10-pixel column crossing the middle rows is removed at size 10, kept at size 9; a long one is kept")
    func crossingRegion() {
        let (width, height) = (20, 100)
        var d = [Float](repeating: .nan, count: width * height)
        for y in 45..<55 { d[y * width + 3] = 7 }  // 10 pixels across rows 49 / 50
        for y in 0..<100 { d[y * width + 10] = 9 }  // a whole column
        for (size, removed) in [(10, true), (9, false)] {
            var out = d
            removeSpeckles(&out, width: width, height: height, maximumSize: size, maximumDifference: 1)
            #expect(out[50 * width + 3].isNaN == removed && out[45 * width + 3].isNaN == removed, "size \(size)")
            #expect(!out[50 * width + 10].isNaN && !out[0 * width + 10].isNaN)
        }
    }
}
