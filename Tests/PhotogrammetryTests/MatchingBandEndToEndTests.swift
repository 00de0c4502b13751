import Testing
@testable import Photogrammetry
import Raster

/// `matchTile(..., band:)` and `matchTiled(..., band:)` end to end on synthetic pairs
/// (`shiftedPair`): the fall-back to full search, exactness of constant windows, agreement with
/// full search where every window holds the truth, and tiles against one tile.
@Suite("Matching per-pixel windows: end to end")
struct MatchingBandEndToEndTests {
    static let w = StereoMatcher.pyramidBandWidth

    /// Pixels whose disparity or confidence differ (NaN equals NaN).
    static func differing(_ a: StereoMatchResult, _ b: StereoMatchResult) -> Int {
        func same(_ x: Float, _ y: Float) -> Bool { x == y || (x.isNaN && y.isNaN) }
        return zip(zip(a.disparity.storage, b.disparity.storage), zip(a.confidence.storage, b.confidence.storage))
            .filter { !same($0.0.0, $0.0.1) || !same($0.1.0, $0.1.1) }.count
    }

    static func band(_ offsets: [Int32]) -> DisparityBand { DisparityBand(width: w, offsets: offsets) }

    /// Offsets (relative to `range.lowerBound`) whose windows all hold `truth`: per pixel random,
    /// smooth, or one random window per 8x8 block.
    static func offsetsHolding(_ truth: Int, range: ClosedRange<Int>, width: Int, height: Int, pattern: String,
                               rng: inout SplitMix64) -> [Int32] {
        let t = truth - range.lowerBound, last = range.count - w
        let low = max(0, t - (w - 1)), high = min(t, last)
        precondition(low <= high)
        var blocks = [Int: Int]()
        return (0..<(width * height)).map { pixel in
            let (x, y) = (pixel % width, pixel / width)
            let value: Int
            switch pattern {
            case "random": value = Int.random(in: low...high, using: &rng)
            case "smooth": value = t - w / 2 + (x / 9 + y / 7) % 9 - 4
            default:
                let key = (y / 8) * 1000 + x / 8
                if blocks[key] == nil { blocks[key] = Int.random(in: low...high, using: &rng) }
                value = blocks[key]!
            }
            return Int32(min(max(value, low), high))
        }
    }

    @Test("bandSupported: the defaults yes; a gradient cost or maxCost + P1 + 2 P2 over 255 no (8-bit path costs)")
    func supported() {
        var p = StereoMatchingParameters()
        #expect(StereoMatcher.bandSupported(p))
        p.p2 = (255 - p.maxCost - p.p1) / 2  // 24 + 8 + 2 * 111 = 254
        #expect(StereoMatcher.bandSupported(p))
        p.p1 = 9  // 255 exactly
        #expect(StereoMatcher.bandSupported(p))
        p.p1 = 10
        #expect(!StereoMatcher.bandSupported(p))
        var gradient = StereoMatchingParameters()
        gradient.gradientWeight = 1
        #expect(!StereoMatcher.bandSupported(gradient))
    }

    @Test("a band no narrower than the (clipped) range is dropped: the full search's output, bit for bit",
          arguments: [(80, 0...31, Int32(0), 4), (80, 5...20, Int32(3), 9), (12, -50...50, Int32(40), 3),
                      (40, -39...(-8), Int32(0), -20)])
    func bandDropped(width: Int, range: ClosedRange<Int>, offset: Int32, shift: Int) throws {
        let height = 30
        let (left, right) = shiftedPair(width: width, height: height, disparity: shift, seed: 80)
        let parameters = StereoMatchingParameters()
        let full = try StereoMatcher.matchTile(left: left, right: right, disparities: range, parameters: parameters, nodata: nil,
                                               workspace: nil, pipelined: true)
        let banded = try StereoMatcher.matchTile(left: left, right: right, disparities: range, parameters: parameters, nodata: nil,
                                                 workspace: nil, pipelined: true,
                                                 band: Self.band(Array(repeating: offset, count: width * height)))
        #expect(Self.differing(full, banded) == 0, "width \(width) range \(range)")
        #expect(full.disparity.storage.contains { !$0.isNaN }, "test set-up: something matched")
    }

    @Test("equal offsets c: the banded search is the full search over lowest + c ..< lowest + c + w, bit for bit")
    func equalOffsetsAreASubRange() throws {
        // (image width, shift, requested range, offset relative to its lower bound, the window it means)
        let cases: [(Int, Int, ClosedRange<Int>, Int32, ClosedRange<Int>)] = [
            (90, 22, 0...95, 10, 10...41),
            (90, -17, -95...0, 55, -40...(-9)),  // clipped to -89...0
            (80, -45, -100...60, 40, -60...(-29)),  // clipped to -79...60: offsets re-based by the matcher
        ]
        for (width, shift, range, offset, window) in cases {
            let height = 48
            let (left, right) = shiftedPair(width: width, height: height, disparity: shift, seed: UInt64(81 + width + shift + 100))
            for paths in SGMPaths.allCases {
                for gradient in [nil, Float(30)] {
                    var parameters = StereoMatchingParameters()
                    parameters.paths = paths
                    parameters.p2GradientScale = gradient
                    for pipelined in [true, false] {
                        let full = try StereoMatcher.matchTile(left: left, right: right, disparities: window, parameters: parameters,
                                                               nodata: nil, workspace: nil, pipelined: pipelined)
                        let banded = try StereoMatcher.matchTile(
                            left: left, right: right, disparities: range, parameters: parameters, nodata: nil, workspace: nil,
                            pipelined: pipelined, band: Self.band(Array(repeating: offset, count: width * height)))
                        let label = "shift \(shift) range \(range) offset \(offset) \(paths) gradient \(String(describing: gradient)) pipelined \(pipelined)"
                        #expect(Self.differing(full, banded) == 0, "\(label)")
                        let correct = banded.disparity.storage.filter { abs($0 - Float(shift)) <= 0.25 }.count
                        #expect(correct >= (width - abs(shift)) * height * 80 / 100, "\(label): \(correct) correct")
                    }
                }
            }
        }
    }

    @Test("windows that all hold the true disparity: >= 99 % of the full search's winners kept, the pixels it adds correct",
          arguments: [22, -17])
    func windowsHoldingTheTruth(shift: Int) throws {
        let (width, height) = (160, 100)
        let range = shift >= 0 ? 0...95 : -95...0
        let (left, right) = shiftedPair(width: width, height: height, disparity: shift, seed: UInt64(90 + shift + 40))
        let parameters = StereoMatchingParameters()
        let full = try StereoMatcher.matchTile(left: left, right: right, disparities: range, parameters: parameters, nodata: nil,
                                               workspace: nil, pipelined: true)
        var rng = SplitMix64(seed: 91)
        for pattern in ["random", "smooth", "blocks"] {
            let offsets = Self.offsetsHolding(shift, range: range, width: width, height: height, pattern: pattern, rng: &rng)
            let band = Self.band(offsets)
            let banded = try StereoMatcher.matchTile(left: left, right: right, disparities: range, parameters: parameters,
                                                     nodata: nil, workspace: nil, pipelined: true, band: band)
            // Over the pixels that have a true match: where the full search keeps a winner, the
            // banded one keeps the same; where only the banded one does (next to the unmatched
            // columns the full search's left-right check rejects pixels whose right partner took a
            // wrong winner from outside the windows), it is the true disparity.
            var kept = 0, same = 0, gained = 0, gainedRight = 0
            for (i, (a, b)) in zip(full.disparity.storage, banded.disparity.storage).enumerated()
            where (0..<width).contains(i % width - shift) {
                if !a.isNaN {
                    kept += 1
                    if !b.isNaN && (a - b).magnitude < 0.5 { same += 1 }
                } else if !b.isNaN {
                    gained += 1
                    if abs(b - Float(shift)) <= 1 { gainedRight += 1 }
                }
            }
            print("windows holding shift \(shift) (\(pattern)): \(same) of \(kept) full-search winners kept; " +
                  "\(gained) pixels only the banded search keeps, \(gainedRight) of them within 1 px")
            #expect(Double(same) >= 0.99 * Double(kept), "shift \(shift) \(pattern): \(same) of \(kept) winners the same")
            #expect(Double(gainedRight) >= 0.95 * Double(gained), "shift \(shift) \(pattern): \(gainedRight) of \(gained) right")
            #expect(kept >= (width - abs(shift)) * height * 85 / 100, "test set-up: \(kept) full-search winners")
            // The two aggregation paths (pipelined, and sgmAggregate + decideDisparities) agree bit for bit.
            let unpipelined = try StereoMatcher.matchTile(left: left, right: right, disparities: range, parameters: parameters,
                                                          nodata: nil, workspace: nil, pipelined: false, band: band)
            #expect(Self.differing(banded, unpipelined) == 0, "shift \(shift) \(pattern): pipelined and not differ")
        }
    }

    @Test("matchTiled with a band, forced into several tiles (a small memory limit: strips; a tile size: a grid): one tile's output away from the seams")
    func tiles() throws {
        let (width, height, shift, range) = (360, 160, 22, 0...95)
        let (left, right) = shiftedPair(width: width, height: height, disparity: shift, seed: 95)
        var rng = SplitMix64(seed: 96)
        // Windows holding the truth (smooth), and one random window per 20x8 block over the whole range
        // (most miss the truth): a tile cropping the wrong offsets would then change its output.
        let holding = Self.offsetsHolding(shift, range: range, width: width, height: height, pattern: "smooth", rng: &rng)
        let blocks = (0..<(18 * 20)).map { _ in Int32.random(in: 0...Int32(range.count - Self.w), using: &rng) }
        let anywhere = (0..<(width * height)).map { blocks[(($0 / width) / 8) * 18 + ($0 % width) / 20] }
        let workspace = MatchingWorkspace()
        var small = StereoMatchingParameters()
        small.memoryLimit = StereoMatcher.estimatedBytes(width: width, height: height, disparityCount: Self.w) * 6 / 10
        let strips = try #require(StereoMatcher.tileShape(width: width, height: height, disparities: range,
                                                          memoryLimit: small.memoryLimit, count: Self.w))
        #expect(strips.0 < width || strips.1 < height, "test set-up: several tiles, got \(strips)")
        // (parameters, tile size argument, the kept tile shape it gives)
        let layouts: [(StereoMatchingParameters, Int?, (Int, Int))] = [(small, nil, strips), (StereoMatchingParameters(), 90, (90, 90))]
        for (offsets, name) in [(holding, "holding the truth"), (anywhere, "random blocks")] {
        let band = Self.band(offsets)
        let one = try StereoMatcher.matchTiled(left: left, right: right, disparities: range, parameters: StereoMatchingParameters(),
                                               nodata: nil, tileSize: nil, workspace: workspace, band: band)
        for (parameters, tileSize, shape) in layouts {
            let tiled = try StereoMatcher.matchTiled(left: left, right: right, disparities: range, parameters: parameters, nodata: nil,
                                                     tileSize: tileSize, workspace: workspace, band: band)
            // Seams: tile borders, and 2 pixels either side of them (the 3x3 median reaches 1).
            func nearSeam(_ v: Int, _ side: Int, _ length: Int) -> Bool {
                stride(from: side, to: length, by: side).contains { abs(v - $0) <= 2 || abs(v - ($0 - 1)) <= 2 }
            }
            var compared = 0, bad = 0, badAnywhere = 0
            for y in 0..<height {
                for x in 0..<width {
                    let (a, b) = (one.disparity[x, y], tiled.disparity[x, y])
                    let differs = a.isNaN != b.isNaN || (!a.isNaN && abs(a - b) > 1)
                    if differs { badAnywhere += 1 }
                    guard !nearSeam(y, shape.1, height) && !nearSeam(x, shape.0, width) else { continue }
                    compared += 1
                    if differs { bad += 1 }
                }
            }
            print("banded tiles \(shape.0)x\(shape.1), windows \(name): \(bad) of \(compared) pixels away from the seams differ from one tile " +
                  "(\(badAnywhere) of \(width * height) anywhere)")
            // The pyramid tests' allowance: 0.5 % of the pixels.
            #expect(compared > width * height / 2)
            #expect(Double(bad) <= 0.005 * Double(compared), "tiles \(shape), windows \(name): \(bad) of \(compared) differ")
            if offsets == holding {
                let correct = tiled.disparity.storage.filter { abs($0 - Float(shift)) <= 0.25 }.count
                #expect(correct >= (width - shift) * height * 84 / 100, "tiles \(shape): \(correct) correct")
            }
        }
        }
    }
}
