// match-bench: times Relief's dense matcher (release build) on the Middlebury Cones pair and on a
// synthetic pair, reporting throughput in Gpx·disp/s, peak memory and, on Cones, accuracy.
// Driven by `Benchmarks/match-bench.sh`, which times OpenCV's StereoSGBM on the same inputs.
//
//   match-bench cones DATA_ROOT [repeats] [paths]         Cones, disparities 0..63
//   match-bench synthetic SIZE DISPARITIES OUT_DIR         writes the synthetic pair (8-bit GeoTIFF)
//                                                          and its true left disparities (Float32)
//   match-bench subpixel DATA_ROOT                          each sub-pixel method: mean error on the
//                                                          eight Sentinel-2 shift pairs, Cones bad-1px
//   match-bench pair LEFT RIGHT MIN MAX [repeats] [paths] [TRUTH]
//                                                          times any pair; with TRUTH, bad-1px over
//                                                          its finite pixels and density
// Environment: MATCH_SEARCH=full|pyramid picks `StereoMatchingParameters.search` (default full).
import Foundation
import Photogrammetry
import Raster

func peakMemoryMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024  // kilobytes on Linux
}

func now() -> Double { Date().timeIntervalSinceReferenceDate }

/// CPU seconds (user + system, all threads) the process has used.
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// The least CPU time of one run in the last `time` call.
nonisolated(unsafe) var bestCPU = Double.infinity

func load(_ path: String) throws -> ImageBuffer<Float> { try Dataset(path: path).readAll(Float.self) }

/// Best-of-`repeats` wall time of the matcher (tiled driver, default memory budget). One
/// workspace serves every run, as one OpenCV StereoSGBM object keeps its buffer between calls.
func time(_ left: ImageBuffer<Float>, _ right: ImageBuffer<Float>, _ range: ClosedRange<Int>,
          _ parameters: StereoMatchingParameters, nodata: Float?, repeats: Int) throws -> (Double, StereoMatchResult) {
    var best = Double.infinity
    var result: StereoMatchResult?
    let workspace = MatchingWorkspace()
    bestCPU = .infinity
    for _ in 0..<repeats {
        let t0 = now(), c0 = cpuSeconds()
        result = try StereoMatcher.matchTiled(left: left, right: right, disparities: range, parameters: parameters,
                                              nodata: nodata, workspace: workspace)
        best = min(best, now() - t0)
        bestCPU = min(bestCPU, cpuSeconds() - c0)
    }
    return (best, result!)
}

/// FNV-1a hash of the bit patterns of a result's disparities and confidences (equal outputs
/// print equal hashes: a quick bit-identity check between builds).
func checksum(_ result: StereoMatchResult) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for value in result.disparity.storage + result.confidence.storage {
        hash = (hash ^ UInt64(value.bitPattern)) &* 0x100_0000_01b3
    }
    return String(hash, radix: 16)
}

func report(_ name: String, _ width: Int, _ height: Int, _ count: Int, _ seconds: Double) {
    let throughput = Double(width * height * count) / seconds / 1e9
    print(String(format: "%@ relief %dx%d D=%d time %.4f s throughput %.3f Gpx*disp/s peak %.0f MiB cpu %.4f s",
                 name, width, height, count, seconds, throughput, peakMemoryMiB(), bestCPU))
}

func parameters(paths: String?) -> StereoMatchingParameters {
    var p = StereoMatchingParameters()
    if paths == "4" { p.paths = .four }
    if let search = ProcessInfo.processInfo.environment["MATCH_SEARCH"] {
        guard let value = DisparitySearch(rawValue: search) else { print("MATCH_SEARCH: full or pyramid, not \(search)"); exit(2) }
        p.search = value
    }
    return p
}

let args = CommandLine.arguments
guard args.count >= 3 else {
    print("usage: match-bench cones DATA_ROOT [repeats] [paths] | synthetic SIZE DISP OUT_DIR | pair L R MIN MAX [repeats] [paths]")
    exit(2)
}
do {
    switch args[1] {
    case "cones":
        let folder = args[2] + "/middlebury_cones/tests/pandora/"
        let repeats = args.count > 3 ? Int(args[3])! : 5
        let left = try load(folder + "left.png"), right = try load(folder + "right.png")
        let truth = try load(folder + "disp_left.tif"), visible = try load(folder + "occlusion.png")
        let (seconds, result) = try time(left, right, 0...63, parameters(paths: args.count > 4 ? args[4] : nil), nodata: 255, repeats: repeats)
        report("cones", left.width, left.height, 64, seconds)
        print("cones checksum \(checksum(result))")
        var known = 0, bad = 0, produced = 0
        for i in 0..<truth.storage.count {
            let d = result.disparity.storage[i]
            if !d.isNaN { produced += 1 }
            guard truth.storage[i] > 0, visible.storage[i] == 1 else { continue }
            known += 1
            if d.isNaN || abs(d - truth.storage[i]) > 1 { bad += 1 }
        }
        print(String(format: "cones accuracy bad-1px %.2f %% (of %d known non-occluded) density %.2f %%",
                     100 * Double(bad) / Double(known), known, 100 * Double(produced) / Double(truth.storage.count)))
    case "synthetic":
        let size = Int(args[2])!, count = Int(args[3])!, folder = args[4]
        let (left, right, truth) = syntheticPair(size: size, disparities: count)
        try writeRaster(left, to: folder + "/synthetic_left.tif", options: .geoTIFF)
        try writeRaster(right, to: folder + "/synthetic_right.tif", options: .geoTIFF)
        try writeRaster(truth, to: folder + "/synthetic_truth.tif", options: .geoTIFF, nodata: .nan)
        print("wrote \(folder)/synthetic_left.tif, synthetic_right.tif (\(size)x\(size), disparities 0..\(count - 1))")
    case "pair":
        let left = try load(args[2]), right = try load(args[3])
        let range = Int(args[4])!...Int(args[5])!
        let repeats = args.count > 6 ? Int(args[6])! : 3
        let (seconds, result) = try time(left, right, range, parameters(paths: args.count > 7 ? args[7] : nil), nodata: nil, repeats: repeats)
        report("pair", left.width, left.height, range.count, seconds)
        print("pair checksum \(checksum(result))")
        if args.count > 8 {
            let truth = try load(args[8])
            var known = 0, bad = 0, produced = 0
            for i in truth.storage.indices {
                let d = result.disparity.storage[i]
                if !d.isNaN { produced += 1 }
                guard !truth.storage[i].isNaN else { continue }
                known += 1
                if d.isNaN || abs(d - truth.storage[i]) > 1 { bad += 1 }
            }
            print(String(format: "pair accuracy bad-1px %.2f %% (of %d known) density %.2f %%",
                         100 * Double(bad) / Double(known), known, 100 * Double(produced) / Double(truth.storage.count)))
        }
    case "subpixel":
        try compareSubpixelMethods(root: args[2])
    default:
        print("unknown mode \(args[1])")
        exit(2)
    }
} catch {
    print("match-bench: \(error)")
    exit(1)
}

/// A textured 8-bit pair with a known disparity field in 0..<disparities: smooth random texture,
/// slanted planes with steps; right(x_r, y) = left(x_r + d(x_r, y), y), so the left pixel
/// x = x_r + d matches right x_r (x_right = x_left - d). The truth in left coordinates solves
/// x = x_r + d(x_r) (a few fixed-point steps); NaN where no right pixel maps to x.
func syntheticPair(size: Int, disparities: Int) -> (ImageBuffer<UInt8>, ImageBuffer<UInt8>, ImageBuffer<Float>) {
    var generator = SplitMix64(seed: 0x5EED_0F_5EED)  // seeded: the same pair every run
    var noise = [Float](repeating: 0, count: size * size)
    for i in noise.indices { noise[i] = Float.random(in: 0..<1, using: &generator) }
    // Two box blurs of radius 1 for a texture with some spatial correlation.
    var texture = noise
    for _ in 0..<2 {
        var blurred = texture
        for y in 1..<(size - 1) {
            for x in 1..<(size - 1) {
                var s: Float = 0
                for dy in -1...1 { for dx in -1...1 { s += texture[(y + dy) * size + x + dx] } }
                blurred[y * size + x] = s / 9
            }
        }
        texture = blurred
    }
    var left = ImageBuffer<UInt8>(width: size, height: size)
    var right = ImageBuffer<UInt8>(width: size, height: size)
    var truth = ImageBuffer<Float>(width: size, height: size, filledWith: .nan)
    for y in 0..<size {
        for x in 0..<size {
            left[x, y] = UInt8(min(255, max(0, (texture[y * size + x] - 0.25) * 510)))
        }
    }
    // Integer disparity field over right pixels: a plane in x plus a step every 250 rows.
    func field(_ xr: Int, _ y: Int) -> Int {
        Int(Float(disparities - 1) * (0.3 + 0.4 * Float(xr) / Float(size) + 0.2 * Float((y / 250) % 2)))
    }
    for y in 0..<size {
        for xr in 0..<size {
            let x = xr + field(xr, y)
            right[xr, y] = x < size ? left[x, y] : 0
            if x < size { truth[x, y] = Float(field(xr, y)) }
        }
    }
    return (left, right, truth)
}

/// For every `SubpixelMethod`: the mean disparity error on each Sentinel-2 shift pair (as
/// `MatchingAccuracyTests.meanShiftError`: range -3...3, no median, pixels 5 inside the border;
/// right = left shifted by c columns, so d = -c) and the Cones bad-1px / density with the
/// default parameters otherwise.
func compareSubpixelMethods(root: String) throws {
    let s2 = root + "/subpixel_shift_s2/tests/performance_tests/data_medicis"
    var pairs: [(name: String, folder: String, column: Double)] = []
    for tile in try FileManager.default.contentsOfDirectory(atPath: s2).sorted() {
        for name in try FileManager.default.contentsOfDirectory(atPath: s2 + "/" + tile).sorted() {
            guard let c = name.firstIndex(of: "c"), let column = Double(name[name.index(after: c)...]) else { continue }
            pairs.append((tile + "/" + name, s2 + "/" + tile + "/" + name, column))
        }
    }
    let cones = root + "/middlebury_cones/tests/pandora/"
    let (left, right) = (try load(cones + "left.png"), try load(cones + "right.png"))
    let truth = try load(cones + "disp_left.tif"), visible = try load(cones + "occlusion.png")
    for method in SubpixelMethod.allCases {
        var errors: [String] = [], worst = 0.0
        for pair in pairs {
            let l = try load(pair.folder + "/left.tif"), r = try load(pair.folder + "/right.tif")
            var p = StereoMatchingParameters()
            p.subpixel = method
            p.medianFilter = false
            let result = try StereoMatcher.match(left: l, right: r, disparities: -3...3, parameters: p)
            var sum = 0.0, n = 0
            for y in 5..<(l.height - 5) {
                for x in 5..<(l.width - 5) where !result.disparity[x, y].isNaN {
                    sum += Double(result.disparity[x, y]) + pair.column
                    n += 1
                }
            }
            let error = sum / Double(max(n, 1))
            worst = max(worst, abs(error))
            errors.append(String(format: "%@ %+.3f", pair.name, error))
        }
        var p = StereoMatchingParameters()
        p.subpixel = method
        let result = try StereoMatcher.match(left: left, right: right, disparities: 0...63, parameters: p, nodata: 255)
        var known = 0, bad = 0, within = 0.0, produced = 0
        for i in truth.storage.indices {
            let d = result.disparity.storage[i]
            if !d.isNaN { produced += 1 }
            guard truth.storage[i] > 0, visible.storage[i] == 1 else { continue }
            known += 1
            if d.isNaN || abs(d - truth.storage[i]) > 1 { bad += 1 } else { within += Double(abs(d - truth.storage[i])) }
        }
        print(String(format: "subpixel %@ s2-worst %.3f cones-bad1 %.2f cones-density %.2f cones-mean-abs-err-good %.3f",
                     method.rawValue, worst, 100 * Double(bad) / Double(known), 100 * Double(produced) / Double(truth.storage.count),
                     within / Double(known - bad)))
        print("  s2: " + errors.joined(separator: ", "))
    }
}
