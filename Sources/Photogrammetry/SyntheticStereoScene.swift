import Foundation
import Raster
import Synchronization

/// The synthetic stereo pair bundled in `testdata/` (`stereo_left.tif`, `stereo_right.tif`) and
/// its ground truth (`stereo_truth.tif`): an analytic surface (smooth hills and four buildings
/// with sharp edges, ellipsoidal heights 321.8–356 m over the truth's grid) carrying a
/// band-limited 12-bit texture, seen by two RPC00B cameras at 0.5 m with along-track angles of +10° and -10° (Pléiades-like
/// B/H 0.35: 0.353 px of row parallax per metre of height in each view), the second rotated by
/// 1.5° and both with a slight perspective (the view angle varies across the swath).
///
/// Each pixel sees the first surface point met by its line of sight, marched down from above
/// the highest roof (so walls occlude what is behind them), and gets the texture there plus a
/// little deterministic noise. Everything is deterministic (own hash, no system random), so
/// tests can check the committed files against a fresh render.
public enum SyntheticStereoScene {
    public static let width = 256
    public static let height = 256
    /// Ground sampling distance of both views (metres).
    public static let gsd = 0.5
    /// The ground point both image centres see at `referenceHeight`.
    public static let longitude = 5.163
    public static let latitude = 44.229
    public static let referenceHeight = 335.0
    /// Bounds of the surface's heights (ellipsoidal metres; the ray march starts above them), and
    /// the height prior `scripts/demo` gives `dsm-run dsm` (340 ± 40 m).
    public static let heightRange: ClosedRange<Double> = 316...362
    public static let demoHeight = 340.0, demoMargin = 40.0

    /// Metres per degree of longitude and latitude in the scene's local plane (the RPC's ground
    /// normalisation uses the same factors, so the local plane is exactly the RPC's).
    static let metresPerDegreeLongitude = 111_320.0 * cos(latitude * .pi / 180)
    static let metresPerDegreeLatitude = 111_132.0
    /// Half extent of the normalised ground domain (metres) and the height scale.
    static let groundScale = 64.0, heightScale = 50.0

    /// One of the two views.
    public enum View: Int, Sendable, CaseIterable {
        case left, right
        /// Along-track viewing angle (degrees): row parallax direction and size.
        var alongTrack: Double { self == .left ? 10 : -10 }
        /// Rotation of the image axes on the ground (degrees).
        var rotation: Double { self == .left ? 0 : 1.5 }
        /// Perspective: the row parallax grows by this share per normalised ground unit east.
        var perspective: Double { self == .left ? 0.02 : -0.015 }
        var seed: UInt64 { self == .left ? 0x5EED_0001 : 0x5EED_0002 }
        public var fileName: String { self == .left ? "stereo_left.tif" : "stereo_right.tif" }
    }

    public static let truthFileName = "stereo_truth.tif"

    // MARK: - Surface and texture

    /// Local east / north metres of a geographic point (relative to the scene centre).
    public static func local(longitude lon: Double, latitude lat: Double) -> (east: Double, north: Double) {
        ((lon - longitude) * metresPerDegreeLongitude, (lat - latitude) * metresPerDegreeLatitude)
    }

    /// Ellipsoidal height (metres) of the surface at local east / north metres.
    public static func surfaceHeight(east e: Double, north n: Double) -> Double {
        var h = 335 + 9 * sin(e / 37 + 0.3) * cos(n / 29) + 5 * sin((e + n) / 17) + 0.04 * e
        // Flat-roofed buildings (walls are vertical: sharp edges in the DSM).
        if e >= -42, e <= -18, n >= 10, n <= 32 { h = max(h, 350) }
        if e >= 14, e <= 36, n >= -38, n <= -22 { h = max(h, 356) }
        if e >= -30, e <= -20, n >= -40, n <= -12 { h = max(h, 345) }
        // A gabled roof (ridge along east), eaves at 346 m, ridge at 352 m.
        if e >= 18, e <= 44, n >= 18, n <= 36 { h = max(h, 346 + 6 * (1 - abs(n - 27) / 9)) }
        return h
    }

    /// Ground texture (reflectance-like, 0...1): three octaves of smooth value noise, 1 to 6 m.
    public static func texture(east e: Double, north n: Double) -> Double {
        0.5 * valueNoise(e / 1.0, n / 1.0, seed: 11) + 0.3 * valueNoise(e / 2.5, n / 2.5, seed: 23)
            + 0.2 * valueNoise(e / 6.0, n / 6.0, seed: 37)
    }

    /// Noise-free 12-bit DN of the texture.
    public static func radiance(east e: Double, north n: Double) -> Double {
        300 + 3400 * texture(east: e, north: n)
    }

    /// Largest uniform noise added to a pixel (DN).
    public static let noiseAmplitude = 6.0

    static func hash(_ a: Int, _ b: Int, _ seed: UInt64) -> UInt64 {
        var x = UInt64(bitPattern: Int64(a)) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(bitPattern: Int64(b)) &* 0xC2B2_AE3D_27D4_EB4F ^ seed
        x ^= x >> 33
        x = x &* 0xFF51_AFD7_ED55_8CCD
        x ^= x >> 33
        x = x &* 0xC4CE_B9FE_1A85_EC53
        x ^= x >> 33
        return x
    }

    static func unit(_ a: Int, _ b: Int, _ seed: UInt64) -> Double { Double(hash(a, b, seed) >> 11) / Double(1 << 53) }

    /// Lattice noise with smoothstep interpolation, in [0, 1].
    static func valueNoise(_ x: Double, _ y: Double, seed: UInt64) -> Double {
        let x0 = x.rounded(.down), y0 = y.rounded(.down)
        let i = Int(x0), j = Int(y0)
        var fx = x - x0, fy = y - y0
        fx = fx * fx * (3 - 2 * fx)
        fy = fy * fy * (3 - 2 * fy)
        let a = unit(i, j, seed), b = unit(i + 1, j, seed), c = unit(i, j + 1, seed), d = unit(i + 1, j + 1, seed)
        return (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy
    }

    // MARK: - Cameras

    /// The view's RPC00B: affine in (L, P, H) plus L·H and P·H perspective terms, no denominator.
    public static func rpc(_ view: View) -> RPCCoefficients { camera.rpc(view) }

    struct Terms { var l = 0.0, p = 0.0, h = 0.0, lh = 0.0, ph = 0.0 }

    /// This scene's cameras (also `SyntheticLargeScene`'s, at its size).
    static let camera = Camera(half: Double(width) / 2, groundScale: groundScale, referenceHeight: referenceHeight,
                               heightScale: heightScale)

    static func terms(_ view: View) -> (s: Terms, r: Terms) { camera.terms(view) }

    static func ground(column: Double, row: Double, height h: Double, terms c: (s: Terms, r: Terms)) -> (east: Double, north: Double) {
        camera.ground(column: column, row: row, height: h, terms: c)
    }

    /// The synthetic scenes' camera model for a square image of `2 · half` pixels at `gsd`, whose
    /// centre sees the scene's centre at `referenceHeight`: normalised sample and line affine in
    /// the normalised ground coordinates L = east / groundScale, P = north / groundScale and
    /// H = (h - referenceHeight) / heightScale, plus L·H and P·H perspective terms.
    struct Camera: Sendable {
        var half: Double
        var groundScale: Double
        var referenceHeight: Double
        var heightScale: Double

        /// The view's RPC00B (no denominator).
        func rpc(_ view: View) -> RPCCoefficients {
            let c = terms(view)
            var sampleNum = [Double](repeating: 0, count: 20), lineNum = sampleNum
            var den = [Double](repeating: 0, count: 20)
            den[0] = 1
            // RPC00B order: 1 L P H LP LH PH ...
            sampleNum[1] = c.s.l; sampleNum[2] = c.s.p; sampleNum[3] = c.s.h; sampleNum[5] = c.s.lh; sampleNum[6] = c.s.ph
            lineNum[1] = c.r.l; lineNum[2] = c.r.p; lineNum[3] = c.r.h; lineNum[5] = c.r.lh; lineNum[6] = c.r.ph
            return RPCCoefficients(
                lineOffset: half - 0.5, sampleOffset: half - 0.5,
                latitudeOffset: latitude, longitudeOffset: longitude, heightOffset: referenceHeight,
                lineScale: half, sampleScale: half,
                latitudeScale: groundScale / metresPerDegreeLatitude, longitudeScale: groundScale / metresPerDegreeLongitude,
                heightScale: heightScale, lineNumerator: lineNum, lineDenominator: den,
                sampleNumerator: sampleNum, sampleDenominator: den)
        }

        /// Normalised sample and line as polynomials of L, P, H.
        func terms(_ view: View) -> (s: Terms, r: Terms) {
            let phi = view.rotation * .pi / 180, t = tan(view.alongTrack * .pi / 180)
            let k = groundScale / (gsd * half)    // normalised image units per ground unit
            let parallax = -t * heightScale / (gsd * half)  // line per height unit
            var s = Terms(), r = Terms()
            s.l = k * cos(phi); s.p = k * sin(phi)
            r.l = k * sin(phi); r.p = -k * cos(phi)
            r.h = parallax; r.lh = view.perspective * parallax
            s.h = 0.02 * parallax  // a little across-track parallax too
            s.ph = 0.01 * parallax
            return (s, r)
        }

        /// Local east / north metres seen by pixel (col, row) at `h` (the exact inverse of the
        /// RPC: for a given H, sample and line are affine in L and P).
        func ground(column: Double, row: Double, height h: Double, terms c: (s: Terms, r: Terms)) -> (east: Double, north: Double) {
            let hn = (h - referenceHeight) / heightScale
            let u = (column - (half - 0.5)) / half - c.s.h * hn
            let v = (row - (half - 0.5)) / half - c.r.h * hn
            let a = c.s.l + c.s.lh * hn, b = c.s.p + c.s.ph * hn
            let d = c.r.l + c.r.lh * hn, e = c.r.p + c.r.ph * hn
            let det = a * e - b * d
            let l = (u * e - b * v) / det, p = (a * v - u * d) / det
            return (l * groundScale, p * groundScale)
        }
    }

    /// The first surface point on the line of sight of pixel (col, row), from above.
    public static func visiblePoint(_ view: View, column: Double, row: Double) -> (east: Double, north: Double, height: Double) {
        visiblePoint(column: column, row: row, terms: terms(view))
    }

    static func visiblePoint(column: Double, row: Double, terms c: (s: Terms, r: Terms)) -> (east: Double, north: Double, height: Double) {
        var above = heightRange.upperBound + 2
        var h = above
        while true {
            let g = ground(column: column, row: row, height: h, terms: c)
            if h <= surfaceHeight(east: g.east, north: g.north) || h < heightRange.lowerBound - 10 { break }
            above = h
            h -= 0.5
        }
        var below = h
        for _ in 0..<14 {
            let mid = (above + below) / 2
            let g = ground(column: column, row: row, height: mid, terms: c)
            if mid <= surfaceHeight(east: g.east, north: g.north) { below = mid } else { above = mid }
        }
        let g = ground(column: column, row: row, height: below, terms: c)
        return (g.east, g.north, below)
    }

    // MARK: - Rendering

    /// One view: 12-bit DN of the texture each pixel sees, plus uniform noise of ±`noiseAmplitude`.
    public static func render(_ view: View) -> ImageBuffer<UInt16> {
        let c = terms(view)
        let rows = Mutex<[[UInt16]]>([[UInt16]](repeating: [], count: height))
        DispatchQueue.concurrentPerform(iterations: height) { y in
            var line = [UInt16](repeating: 0, count: width)
            for x in 0..<width {
                let p = visiblePoint(column: Double(x), row: Double(y), terms: c)
                let noise = (2 * unit(x, y, view.seed) - 1) * noiseAmplitude
                let value = radiance(east: p.east, north: p.north) + noise
                line[x] = UInt16(min(4095, max(0, value)).rounded())
            }
            rows.withLock { $0[y] = line }
        }
        return ImageBuffer(width: width, height: height, pixels: rows.withLock { $0.flatMap { $0 } })
    }

    /// The true DSM on a UTM grid (0.5 m cells, lines on multiples of 0.5 m) over the left
    /// view's footprint at the reference height, shrunk by 8 m: the surface height at each cell
    /// centre, Float32.
    public static func truth() throws -> (dsm: ImageBuffer<Float>, geoTransform: GeoTransform, epsg: Int) {
        let epsg = SpatialReference.utmEPSG(longitude: longitude, latitude: latitude)
        let utm = try SpatialReference(epsg: epsg), wgs = try SpatialReference(epsg: 4326)
        let model = RPCModel(coefficients: rpc(.left), source: "synthetic", format: .memory)
        var xs: [Double] = [], ys: [Double] = []
        for (col, row) in [(0.0, 0.0), (Double(width - 1), 0), (0, Double(height - 1)), (Double(width - 1), Double(height - 1))] {
            let g = try model.localization(column: col, row: row, height: referenceHeight)
            xs.append(g.longitude)
            ys.append(g.latitude)
        }
        var zs = [Double](repeating: 0, count: 4)
        try CoordinateTransformation(from: wgs, to: utm).transform(x: &xs, y: &ys, z: &zs)
        let step = 0.5, inset = 8.0
        let minX = ((xs.min()! + inset) / step).rounded(.up) * step, maxX = ((xs.max()! - inset) / step).rounded(.down) * step
        let minY = ((ys.min()! + inset) / step).rounded(.up) * step, maxY = ((ys.max()! - inset) / step).rounded(.down) * step
        let w = Int(((maxX - minX) / step).rounded()), h = Int(((maxY - minY) / step).rounded())
        var cx: [Double] = [], cy: [Double] = []
        cx.reserveCapacity(w * h)
        cy.reserveCapacity(w * h)
        for j in 0..<h {
            for i in 0..<w {
                cx.append(minX + (Double(i) + 0.5) * step)
                cy.append(maxY - (Double(j) + 0.5) * step)
            }
        }
        var cz = [Double](repeating: 0, count: cx.count)
        try CoordinateTransformation(from: utm, to: wgs).transform(x: &cx, y: &cy, z: &cz)
        var dsm = ImageBuffer<Float>(width: w, height: h)
        for j in 0..<h {
            for i in 0..<w {
                let k = j * w + i
                let g = local(longitude: cx[k], latitude: cy[k])
                dsm[i, j] = Float(surfaceHeight(east: g.east, north: g.north))
            }
        }
        return (dsm, GeoTransform(originX: minX, originY: maxY, pixelWidth: step, pixelHeight: step), epsg)
    }

    /// Writes `stereo_left.tif`, `stereo_right.tif` (tiled DEFLATE GeoTIFFs, RPC in the `RPC`
    /// domain) and `stereo_truth.tif` (Float32 GeoTIFF, UTM) into `folder`.
    public static func write(to folder: String) throws {
        for view in View.allCases {
            try writeRaster(
                render(view), to: folder + "/" + view.fileName, options: WriteOptions(format: .geoTIFF, level: 9, blockSize: 128),
                bandDescriptions: ["synthetic panchromatic"],
                metadata: ["RPC": rpc(view).gdalMetadata,
                           "": ["RELIEF_SAMPLE": "synthetic stereo pair (\(view == .left ? "left" : "right") view), see testdata/README.md"]])
        }
        let t = try truth()
        try writeRaster(
            t.dsm, to: folder + "/" + truthFileName, options: WriteOptions(format: .geoTIFF, level: 9, blockSize: 128),
            geoTransform: t.geoTransform, spatialReference: try SpatialReference(epsg: t.epsg), nodata: .nan,
            bandDescriptions: ["true surface height (WGS84 ellipsoid, m)"],
            metadata: ["": ["RELIEF_SAMPLE": "ground truth of the synthetic stereo pair, see testdata/README.md",
                            "VERTICAL_DATUM": "WGS84 ellipsoid"]])
    }
}
