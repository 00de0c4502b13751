import Dispatch
import Foundation
import Raster
import Synchronization

/// A synthetic stereo pair of any size (N x N pixels at 0.5 m) with an analytic ground truth,
/// for measuring how the DSM pipeline scales: hills, a town of flat-roofed buildings on a
/// 40 m lattice (walls that occlude what is behind them), a band-limited 12-bit texture, seen
/// by two RPC00B cameras with along-track angles of +10° and -10° (Pléiades-like B/H 0.35),
/// the second rotated by 1.5°, both with a slight perspective across the swath.
///
/// The bundled 256 x 256 pair (`SyntheticStereoScene`) is kept as it is (its files are
/// committed); this sibling shares its texture, hash and camera model, with a surface whose
/// features repeat at any size, and renders streamed to disk band by band, so the memory is
/// a band of rows whatever N. Deterministic: the same N gives the same files.
public struct SyntheticLargeScene: Sendable {
    /// Image side in pixels (both views).
    public let size: Int
    public static let gsd = 0.5
    public static let longitude = SyntheticStereoScene.longitude
    public static let latitude = SyntheticStereoScene.latitude
    /// Bounds of the surface's ellipsoidal heights: hills 335 ± 31 m, roofs at most 26 m above.
    public static let heightRange: ClosedRange<Double> = 303...394
    static let referenceHeight = 345.0, heightScale = 80.0
    /// The lattice of the town: one building at most per cell, inside it with a street around.
    static let lattice = 40.0, street = 3.0

    public init(size: Int) throws {
        guard size >= 64, size <= 200_000 else {
            throw RasterError(.invalidArgument, message: "a synthetic scene side must be in 64...200000 pixels, got \(size)")
        }
        self.size = size
    }

    /// Half extent of the normalised ground domain, metres (the image's half side on the ground).
    var groundScale: Double { Double(size) * Self.gsd / 2 }

    // MARK: - Surface

    /// The hills alone (ellipsoidal metres) at local east / north metres from the scene centre.
    public static func hills(east e: Double, north n: Double) -> Double {
        335 + 18 * sin(e / 173 + 0.3) * cos(n / 131) + 9 * sin((e + n) / 61) + 4 * sin((e - 2 * n) / 37)
    }

    /// The building of lattice cell (i, j), if any: its footprint and roof height.
    static func building(cell i: Int, _ j: Int) -> Building? {
        let seed: UInt64 = 0xB111_D000
        guard SyntheticStereoScene.unit(i, j, seed) < 0.55 else { return nil }
        let w = 10 + 18 * SyntheticStereoScene.unit(i, j, seed + 1), d = 10 + 18 * SyntheticStereoScene.unit(i, j, seed + 2)
        let minE = Double(i) * lattice + street + (lattice - 2 * street - w) * SyntheticStereoScene.unit(i, j, seed + 3)
        let minN = Double(j) * lattice + street + (lattice - 2 * street - d) * SyntheticStereoScene.unit(i, j, seed + 4)
        let roof = hills(east: minE + w / 2, north: minN + d / 2) + 6 + 20 * SyntheticStereoScene.unit(i, j, seed + 5)
        return Building(minE: minE, maxE: minE + w, minN: minN, maxN: minN + d, roof: roof)
    }

    struct Building { var minE, maxE, minN, maxN, roof: Double }

    /// The last lattice cell looked up along a ray (a ray stays in one cell for many steps).
    struct CellCache {
        var i = Int.min, j = Int.min
        var building: Building?
    }

    /// Ellipsoidal height of the surface (hills, and roofs where there is a building).
    public static func surfaceHeight(east e: Double, north n: Double) -> Double {
        var cache = CellCache()
        return surfaceHeight(east: e, north: n, cache: &cache)
    }

    static func surfaceHeight(east e: Double, north n: Double, cache: inout CellCache) -> Double {
        let h = hills(east: e, north: n)
        let i = Int((e / lattice).rounded(.down)), j = Int((n / lattice).rounded(.down))
        if i != cache.i || j != cache.j { cache = CellCache(i: i, j: j, building: building(cell: i, j)) }
        if let b = cache.building, e >= b.minE, e <= b.maxE, n >= b.minN, n <= b.maxN { return max(h, b.roof) }
        return h
    }

    /// The true height at a geographic point.
    public static func surfaceHeight(longitude: Double, latitude: Double) -> Double {
        let l = SyntheticStereoScene.local(longitude: longitude, latitude: latitude)
        return surfaceHeight(east: l.east, north: l.north)
    }

    // MARK: - Cameras

    public typealias View = SyntheticStereoScene.View

    /// The bundled pair's camera model at this size (`SyntheticStereoScene.Camera`).
    var camera: SyntheticStereoScene.Camera {
        .init(half: Double(size) / 2, groundScale: groundScale, referenceHeight: Self.referenceHeight, heightScale: Self.heightScale)
    }

    /// The view's RPC00B (affine in L, P, H plus the L·H and P·H perspective terms).
    public func rpc(_ view: View) -> RPCCoefficients { camera.rpc(view) }

    typealias Terms = SyntheticStereoScene.Terms

    func terms(_ view: View) -> (s: Terms, r: Terms) { camera.terms(view) }

    /// Local east / north metres seen by pixel (col, row) at height `h` (the RPC's exact inverse).
    func ground(column: Double, row: Double, height h: Double, terms c: (s: Terms, r: Terms)) -> (east: Double, north: Double) {
        camera.ground(column: column, row: row, height: h, terms: c)
    }

    /// The first surface point on pixel (col, row)'s line of sight. The ray is marched down
    /// from above the highest roof near it in steps of 0.9 times its height above the surface
    /// (at least 0.3 m, at most 8 m: a step moves the ray 1.4 m on the ground at most, less
    /// than the narrowest building, so none is stepped over), then bisected.
    func visiblePoint(column: Double, row: Double, terms c: (s: Terms, r: Terms)) -> (east: Double, north: Double, height: Double) {
        let start = ground(column: column, row: row, height: Self.referenceHeight, terms: c)
        var cache = CellCache()
        var above = min(Self.heightRange.upperBound + 1, Self.hills(east: start.east, north: start.north) + 34)
        var g = ground(column: column, row: row, height: above, terms: c)
        var gap = above - Self.surfaceHeight(east: g.east, north: g.north, cache: &cache)
        var below = above
        if gap <= 0 { return (g.east, g.north, above) }
        while true {
            below = above - min(8, max(0.3, 0.9 * gap))
            g = ground(column: column, row: row, height: below, terms: c)
            let next = below - Self.surfaceHeight(east: g.east, north: g.north, cache: &cache)
            if next <= 0 || below < Self.heightRange.lowerBound - 5 { break }
            above = below
            gap = next
        }
        for _ in 0..<10 {
            let mid = (above + below) / 2
            g = ground(column: column, row: row, height: mid, terms: c)
            if mid <= Self.surfaceHeight(east: g.east, north: g.north, cache: &cache) { below = mid } else { above = mid }
        }
        g = ground(column: column, row: row, height: below, terms: c)
        return (g.east, g.north, below)
    }

    // MARK: - Rendering

    /// Renders one view to `path` (a tiled DEFLATE GeoTIFF, UInt16, RPC in the `RPC` domain),
    /// `bandRows` rows at a time computed in parallel: memory about 2 · N · bandRows bytes.
    public func write(_ view: View, to path: String, bandRows: Int = 256) throws {
        let c = terms(view), n = size
        let writer = try RasterWriter(
            path: path, width: n, height: n, type: .uint16, options: WriteOptions(format: .geoTIFF, level: 1, blockSize: 256),
            bandDescriptions: ["synthetic panchromatic"],
            metadata: ["RPC": rpc(view).gdalMetadata,
                       "": ["RELIEF_SAMPLE": "synthetic \(n)x\(n) stereo pair (\(view == .left ? "left" : "right") view), analytic truth"]])
        for y0 in stride(from: 0, to: n, by: bandRows) {
            let rows = min(bandRows, n - y0)
            var band = ImageBuffer<UInt16>(width: n, height: rows)
            band.storage.withUnsafeMutableBufferPointer { out in
                nonisolated(unsafe) let out = out  // each iteration writes its own row
                DispatchQueue.concurrentPerform(iterations: rows) { r in
                    let y = y0 + r
                    for x in 0..<n {
                        let p = visiblePoint(column: Double(x), row: Double(y), terms: c)
                        let noise = (2 * SyntheticStereoScene.unit(x, y, view.seed) - 1) * SyntheticStereoScene.noiseAmplitude
                        let value = SyntheticStereoScene.radiance(east: p.east, north: p.north) + noise
                        out[r * n + x] = UInt16(min(4095, max(0, value)).rounded())
                    }
                }
            }
            try writer.write(band, x: 0, y: y0)
        }
        try writer.commit()
    }

    // MARK: - Scoring

    /// A DSM's errors against the analytic truth, over the cells whose ground lies in the
    /// central `share` of the scene (both views see it, away from the edges).
    public struct Score: Sendable {
        public var cells: Int
        public var valid: Int
        public var median: Double
        public var nmad: Double
        /// Share of valid cells with an error above 1 m in absolute value.
        public var above1m: Double
        public var validShare: Double { cells == 0 ? 0 : Double(valid) / Double(cells) }
    }

    /// Scores the DSM at `path` (ellipsoidal heights, any projected CRS) window by window:
    /// errors go into a 1 mm histogram over ±64 m (beyond it, the end bins), so the memory is a
    /// window whatever the DSM's size; the median and NMAD are exact to the bin.
    public func score(dsm path: String, share: Double = 0.8, window side: Int = 1024) throws -> Score {
        let dataset = try Dataset(path: path)
        guard let gt = dataset.geoTransform, gt.isNorthUp, let srs = dataset.spatialReference?.horizontal else {
            throw RasterError(.invalidArgument, path: path, message: "the DSM must be georeferenced north-up with a CRS")
        }
        let wgs = try SpatialReference(epsg: 4326)
        let toGeographic = try CoordinateTransformation(from: srs, to: wgs)
        let nodata = try dataset.nodata().map(Float.init)
        let limit = share * groundScale
        let bins = 128_001, half = 64_000
        var histogram = [Int](repeating: 0, count: bins)
        var cells = 0, valid = 0, large = 0
        for tile in try Tiling(width: dataset.width, height: dataset.height, tileWidth: side, halo: 0) {
            let w = tile.core
            let heights = try dataset.read(Float.self, window: w)
            var xs: [Double] = [], ys: [Double] = []
            xs.reserveCapacity(w.pixelCount)
            ys.reserveCapacity(w.pixelCount)
            for r in 0..<w.height {
                for c in 0..<w.width {
                    let p = gt.apply(pixel: Double(w.x + c) + 0.5, line: Double(w.y + r) + 0.5)
                    xs.append(p.x)
                    ys.append(p.y)
                }
            }
            var zs = [Double](repeating: 0, count: xs.count)
            try toGeographic.transform(x: &xs, y: &ys, z: &zs)
            for k in xs.indices {
                let l = SyntheticStereoScene.local(longitude: xs[k], latitude: ys[k])
                guard abs(l.east) <= limit, abs(l.north) <= limit else { continue }
                cells += 1
                let v = heights.storage[k]
                guard !v.isNaN, v != nodata else { continue }
                valid += 1
                let e = Double(v) - Self.surfaceHeight(east: l.east, north: l.north)
                if abs(e) > 1 { large += 1 }
                histogram[min(bins - 1, max(0, Int((e * 1000).rounded()) + half))] += 1
            }
        }
        guard valid > 0 else { return Score(cells: cells, valid: 0, median: .nan, nmad: .nan, above1m: .nan) }
        func quantile(_ h: [Int], _ q: Double) -> Int {
            let target = Int((Double(valid - 1) * q).rounded(.down))
            var seen = 0
            for (i, n) in h.enumerated() {
                seen += n
                if seen > target { return i }
            }
            return h.count - 1
        }
        let m = quantile(histogram, 0.5)
        var deviations = [Int](repeating: 0, count: bins)
        for (i, n) in histogram.enumerated() where n > 0 { deviations[abs(i - m)] += n }
        let mad = quantile(deviations, 0.5)
        return Score(cells: cells, valid: valid, median: Double(m - half) / 1000, nmad: 1.4826 * Double(mad) / 1000,
                     above1m: Double(large) / Double(valid))
    }
}
