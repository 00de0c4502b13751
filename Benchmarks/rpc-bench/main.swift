// rpc-bench: ground->image and image->ground throughput of Photogrammetry's RPCModel.
//
//   rpc-bench [--points N] [--write-points DIR] NAME=MODEL ...
//
// For each model: N image points (deterministic pseudo-random, uniform over the image validity
// domain and the height validity domain) are localised once to get ground points; then
// projection of the N ground points and localisation of the N image points are timed (best of
// several runs, all cores). With --write-points, the points go to DIR/NAME.f64 (float64, N rows
// of col row h lon lat, (col, row) being our projection of (lon, lat, h)) so that the Python
// side (rpcm, shareloc) times the same points.
// Prints one markdown table row per model and direction.
import Dispatch
import Foundation
import Photogrammetry

var n = 1_000_000
var writeDir: String?
var models: [(String, String)] = []
var args = CommandLine.arguments.dropFirst()
while let a = args.popFirst() {
    switch a {
    case "--points": n = Int(args.popFirst() ?? "") ?? n
    case "--write-points": writeDir = args.popFirst()
    default:
        let parts = a.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { fatalError("expected NAME=MODEL, got \(a)") }
        models.append((parts[0], parts[1]))
    }
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let t0 = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
}

print("| model | direction | points | best time (s) | points/s | best time, array API (s) |")
print("|---|---|---:|---:|---:|---:|")
for (name, path) in models {
    let model = try RPCModel.load(image: path)
    let domain = model.imageDomain, hd = model.groundDomain.height
    var state: UInt64 = 0x2545_F491_4F6C_DD1D
    func uniform() -> Double {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Double(state >> 11) / Double(1 << 53)
    }
    var cols = [Double](), rows = [Double](), hs = [Double]()
    cols.reserveCapacity(n); rows.reserveCapacity(n); hs.reserveCapacity(n)
    for _ in 0..<n {
        cols.append(domain.column.lowerBound + uniform() * (domain.column.upperBound - domain.column.lowerBound))
        rows.append(domain.row.lowerBound + uniform() * (domain.row.upperBound - domain.row.lowerBound))
        hs.append(hd.lowerBound + uniform() * (hd.upperBound - hd.lowerBound))
    }
    let ground = try model.localize(columns: cols, rows: rows, heights: hs)
    // The image points become the exact projections of the ground points, so that the Python side
    // compares its projections with ours, and its localisations with the ground points, directly.
    (cols, rows) = model.project(longitudes: ground.longitudes, latitudes: ground.latitudes, heights: hs)
    if let writeDir {
        var flat = [Double]()
        flat.reserveCapacity(5 * n)
        for i in 0..<n { flat += [cols[i], rows[i], hs[i], ground.longitudes[i], ground.latitudes[i]] }
        let data = flat.withUnsafeBufferPointer { Data(buffer: $0) }
        try data.write(to: URL(fileURLWithPath: "\(writeDir)/\(name).f64"))
    }
    // Results go into buffers allocated once (as a DSM pipeline does per tile); the array API
    // adds the allocation and first touch of its two output arrays.
    var u = [Double](repeating: 0, count: n), v = [Double](repeating: 0, count: n)
    func timeBest(_ runs: Int, _ body: () throws -> Void) rethrows -> Double {
        var best = Double.infinity
        for _ in 0..<runs { best = min(best, try seconds(body)) }
        return best
    }
    func row(_ direction: String, _ t: Double, _ tArrays: Double) {
        print("| \(name) | \(direction) | \(n) | \(String(format: "%.4f", t)) | \(String(format: "%.3g", Double(n) / t)) | \(String(format: "%.4f", tArrays)) |")
    }
    var check = 0.0
    let tProject = timeBest(21) {
        ground.longitudes.withUnsafeBufferPointer { x in ground.latitudes.withUnsafeBufferPointer { y in hs.withUnsafeBufferPointer { z in
            u.withUnsafeMutableBufferPointer { uu in v.withUnsafeMutableBufferPointer { vv in
                model.project(longitudes: x, latitudes: y, heights: z, columns: uu, rows: vv)
            } }
        } } }
        check += u[n / 2]
    }
    let tProjectArrays = timeBest(11) {
        let p = model.project(longitudes: ground.longitudes, latitudes: ground.latitudes, heights: hs)
        check += p.columns[n / 2]
    }
    row("ground->image", tProject, tProjectArrays)
    let tLocalize = try timeBest(11) {
        try cols.withUnsafeBufferPointer { x in try rows.withUnsafeBufferPointer { y in try hs.withUnsafeBufferPointer { z in
            try u.withUnsafeMutableBufferPointer { uu in try v.withUnsafeMutableBufferPointer { vv in
                try model.localize(columns: x, rows: y, heights: z, longitudes: uu, latitudes: vv)
            } }
        } } }
        check += u[n / 2]
    }
    let tLocalizeArrays = try timeBest(7) {
        let g = try model.localize(columns: cols, rows: rows, heights: hs)
        check += g.longitudes[n / 2]
    }
    row("image->ground", tLocalize, tLocalizeArrays)
    // Accuracy of the timed results (round trip), so that speed is never bought with precision.
    let again = try model.localize(columns: cols, rows: rows, heights: hs)
    let back = model.project(longitudes: again.longitudes, latitudes: again.latitudes, heights: hs)
    var worst = 0.0
    for i in 0..<n { worst = max(worst, abs(back.columns[i] - cols[i]), abs(back.rows[i] - rows[i])) }
    FileHandle.standardError.write("\(name): max round-trip error \(worst) px (checksum \(check))\n".data(using: .utf8)!)
}
