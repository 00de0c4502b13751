import Testing
@testable import Photogrammetry
import Raster

/// `StereoMatcher.bandOffsets`: per-pixel windows predicted from the half-resolution disparities.
@Suite("Matching per-pixel windows: offsets from the coarse level")
struct MatchingBandOffsetsTests {
    static let w = StereoMatcher.pyramidBandWidth
    static let slack = StereoMatcher.pyramidSlack

    /// Pixel (x, y)'s window, in disparities.
    static func window(_ offsets: [Int32], _ x: Int, _ y: Int, width: Int, range: ClosedRange<Int>, bandWidth: Int = w) -> ClosedRange<Int> {
        let start = range.lowerBound + Int(offsets[y * width + x])
        return start...(start + bandWidth - 1)
    }

    static func constant(_ value: Float, width: Int, height: Int) -> ImageBuffer<Float> {
        ImageBuffer(width: width, height: height, filledWith: value)
    }

    @Test("every offset lies in 0...span - width, for random coarse images (NaN, values outside the range), any range")
    func offsetsInside() {
        var rng = SplitMix64(seed: 70)
        let ranges: [ClosedRange<Int>] = [0...31, 0...32, 0...63, -63...0, -100...100, 40...200, -7...90, -300...(-150)]
        for (width, height) in [(1, 1), (2, 2), (3, 5), (17, 9), (64, 40), (65, 41)] {
            let (cw, ch) = ((width + 1) / 2, (height + 1) / 2)
            for range in ranges {
                for bandWidth in [16, 32, 48] where bandWidth <= range.count {
                    for nanShare in [0.0, 0.3, 0.9] {
                        var coarse = ImageBuffer<Float>(width: cw, height: ch)
                        for i in coarse.storage.indices {
                            coarse.storage[i] = Double.random(in: 0..<1, using: &rng) < nanShare
                                ? .nan : Float.random(in: -250...250, using: &rng).rounded()
                        }
                        let offsets = StereoMatcher.bandOffsets(coarse: coarse, width: width, height: height, range: range,
                                                                bandWidth: bandWidth)
                        #expect(offsets.count == width * height)
                        let last = range.count - bandWidth
                        let outside = offsets.filter { !(0...Int32(last)).contains($0) }.count
                        #expect(outside == 0, "\(width)x\(height) range \(range) window \(bandWidth) NaN \(nanShare): \(outside) outside")
                    }
                }
            }
        }
    }

    @Test("a constant coarse disparity c: every window holds 2c ± slack (inside the range), centred on 2c where the range allows",
          arguments: [(Float(10), 0...127), (Float(10.5), 0...127), (Float(-20), -100...0), (Float(1), 0...127),
                      (Float(62), 0...127), (Float(0), -64...64), (Float(-31), -64...64)])
    func constantDisparity(c: Float, range: ClosedRange<Int>) {
        let (width, height) = (37, 23)
        let offsets = StereoMatcher.bandOffsets(coarse: Self.constant(c, width: 19, height: 12), width: width, height: height,
                                                range: range, bandWidth: Self.w)
        let low = 2 * Int(c.rounded(.down)) - Self.slack, high = 2 * Int(c.rounded(.up)) + Self.slack
        let needed = max(low, range.lowerBound)...min(high, range.upperBound)
        for y in 0..<height {
            for x in 0..<width {
                let window = Self.window(offsets, x, y, width: width, range: range)
                #expect(window.lowerBound <= needed.lowerBound && window.upperBound >= needed.upperBound,
                        "c \(c) pixel (\(x), \(y)): window \(window) misses \(needed)")
                // Centred (within one disparity) unless the window was pushed inside the range.
                let pushed = window.lowerBound == range.lowerBound || window.upperBound == range.upperBound
                let centre = Double(window.lowerBound + window.upperBound) / 2, target = Double(low + high) / 2
                #expect(pushed || abs(centre - target) <= 1, "c \(c) pixel (\(x), \(y)): window \(window) not centred on \(target)")
            }
        }
        #expect(Set(offsets).count == 1, "one window for a constant coarse image")
    }

    @Test("a vertical depth edge: windows near it cover both sides where the spread fits; far from it, centred on their side",
          arguments: [(Float(10), Float(18)), (Float(18), Float(10)), (Float(-30), Float(-20))])
    func depthEdgeThatFits(a: Float, b: Float) {
        let (cw, ch) = (40, 20), (width, height) = (80, 40), edge = 20  // coarse columns < edge hold a, the rest b
        var coarse = ImageBuffer<Float>(width: cw, height: ch)
        for y in 0..<ch { for x in 0..<cw { coarse[x, y] = x < edge ? a : b } }
        let range = -100...100
        let offsets = StereoMatcher.bandOffsets(coarse: coarse, width: width, height: height, range: range, bandWidth: Self.w)
        let both = 2 * Int(min(a, b)) - Self.slack...2 * Int(max(a, b)) + Self.slack
        #expect(both.count <= Self.w, "test set-up: the spread must fit the window")
        let k = StereoMatcher.pyramidNeighbourhood
        for y in 0..<height {
            for x in 0..<width {
                let window = Self.window(offsets, x, y, width: width, range: range)
                let cx = x / 2
                if ((edge - k)...(edge - 1 + k)).contains(cx) {
                    // The coarse neighbourhood (k coarse pixels each side) sees both depths.
                    #expect(window.lowerBound <= both.lowerBound && window.upperBound >= both.upperBound,
                            "near the edge, pixel (\(x), \(y)): window \(window) misses \(both)")
                } else {
                    let own = 2 * Int(cx < edge ? a : b)
                    let centre = Double(window.lowerBound + window.upperBound) / 2
                    #expect(window.contains(own - Self.slack) && window.contains(own + Self.slack) && abs(centre - Double(own)) <= 1,
                            "far from the edge, pixel (\(x), \(y)): window \(window) not centred on \(own)")
                }
            }
        }
    }

    @Test("a depth edge wider than the window: every pixel's window still holds its own side's disparity ± slack")
    func depthEdgeTooWide() {
        let (cw, ch) = (40, 20), (width, height) = (80, 40), edge = 20
        let (a, b): (Float, Float) = (5, 40)
        var coarse = ImageBuffer<Float>(width: cw, height: ch)
        for y in 0..<ch { for x in 0..<cw { coarse[x, y] = x < edge ? a : b } }
        let range = 0...127
        let offsets = StereoMatcher.bandOffsets(coarse: coarse, width: width, height: height, range: range, bandWidth: Self.w)
        for y in 0..<height {
            for x in 0..<width {
                let own = 2 * Int(x / 2 < edge ? a : b)
                let window = Self.window(offsets, x, y, width: width, range: range)
                #expect(window.contains(own - Self.slack) && window.contains(own + Self.slack),
                        "pixel (\(x), \(y)): window \(window) misses its own \(own) ± \(Self.slack)")
            }
        }
    }

    @Test("no valid coarse disparity: every window in the middle of the range", arguments: [0...127, -100...100, -64...(-1), 5...40])
    func allNaN(range: ClosedRange<Int>) {
        let (width, height) = (30, 21)
        let offsets = StereoMatcher.bandOffsets(coarse: Self.constant(.nan, width: 15, height: 11), width: width, height: height,
                                                range: range, bandWidth: Self.w)
        #expect(Set(offsets).count == 1)
        let window = Self.window(offsets, 0, 0, width: width, range: range)
        let centre = Double(window.lowerBound + window.upperBound) / 2
        let middle = Double(range.lowerBound + range.upperBound) / 2
        #expect(abs(centre - middle) <= 1, "range \(range): window \(window)")
        #expect(window.lowerBound >= range.lowerBound && window.upperBound <= range.upperBound)
    }

    @Test("NaN gaps are filled from their row neighbours (then columns): same windows as the filled image")
    func gapsFilled() {
        let (cw, ch) = (30, 16), (width, height) = (60, 32), range = 0...127
        // One valid coarse pixel per row (column 3) and whole NaN rows: everything fills with c.
        var gappy = Self.constant(.nan, width: cw, height: ch)
        for y in 0..<ch where y % 4 != 2 { gappy[3, y] = 12 }
        let filled = StereoMatcher.bandOffsets(coarse: gappy, width: width, height: height, range: range, bandWidth: Self.w)
        let constant = StereoMatcher.bandOffsets(coarse: Self.constant(12, width: cw, height: ch), width: width, height: height,
                                                 range: range, bandWidth: Self.w)
        #expect(filled == constant)

        // A gap between two depths on every row takes both: its windows hold 2a - slack ... 2b + slack.
        var twoSided = Self.constant(.nan, width: cw, height: ch)
        for y in 0..<ch {
            for x in 0..<5 { twoSided[x, y] = 8 }
            for x in 25..<cw { twoSided[x, y] = 18 }
        }
        let offsets = StereoMatcher.bandOffsets(coarse: twoSided, width: width, height: height, range: range, bandWidth: Self.w)
        let both = (2 * 8 - Self.slack)...(2 * 18 + Self.slack)
        for y in 0..<height {
            for x in 10..<50 {
                let window = Self.window(offsets, x, y, width: width, range: range)
                #expect(window.lowerBound <= both.lowerBound && window.upperBound >= both.upperBound,
                        "gap pixel (\(x), \(y)): window \(window) misses \(both)")
            }
        }
    }
}
