import Foundation
import Testing
@testable import Photogrammetry
import Raster

/// Pair geometry on the real sample scenes (SOURCES.md): the Réunion pair (terrain about 2300 m,
/// s2p reference DSM 2270–2376 m ellipsoidal), the Ventoux crops with their full-scene `.geom`
/// models and CARS 1.3.0's metadata, the Marseille triplet, SRTM N44E005 and EGM96.
@Suite("Geometry: sample scenes", .enabled(if: SampleData.root != nil, SampleData.skipMessage))
struct GeometrySampleDataTests {
    static func reunion() throws -> (StereoImage, StereoImage) {
        (try StereoImage.load(try SampleData.path("s2p_reunion_pair/input_pair/img_01.tif")),
         try StereoImage.load(try SampleData.path("s2p_reunion_pair/input_pair/img_02.tif")))
    }

    static func ventoux() throws -> (StereoImage, StereoImage) {
        let folder = "cars_phr_ventoux/"
        return (try StereoImage.load(try SampleData.path(folder + "image/phr_ventoux/left_image.tif"),
                                     model: try SampleData.path(folder + "rpc/phr_ventoux/left_image.geom")),
                try StereoImage.load(try SampleData.path(folder + "image/phr_ventoux/right_image.tif"),
                                     model: try SampleData.path(folder + "rpc/phr_ventoux/right_image.geom")))
    }

    static var srtm: String { get throws { try SampleData.path("dem_geoid/dtm/srtm_ventoux/srtm90_non_void_filled/N44E005.hgt") } }
    static func geoid() throws -> Geoid { try Geoid(path: try SampleData.path("dem_geoid/dtm/geoid/egm96_15.gtx")) }

    static func overlap(_ a: StereoImage, _ b: StereoImage, at h: Double) throws -> GroundPolygon {
        try a.footprint(height: h).polygon.intersection(b.footprint(height: h).polygon)
    }

    @Test("Réunion: the footprints do not meet at height 0, they do from about 227 m, fully at 2300 m")
    func reunionOverlapAgainstHeight() throws {
        let (a, b) = try Self.reunion()
        // Measured: the footprints first meet at 226.6 m and part again between 4000 and 4500 m.
        #expect(try Self.overlap(a, b, at: 0).isEmpty, "the issue's claim: no intersection at height 0")
        #expect(try Self.overlap(a, b, at: 220).isEmpty)
        #expect(try !Self.overlap(a, b, at: 235).isEmpty)
        #expect(try Self.overlap(a, b, at: 4500).isEmpty)
        // At the terrain height the reference lies inside the secondary's footprint: the
        // intersection is the whole reference footprint (1e-6: clipping round-off).
        let reference = try a.footprint(height: 2300)
        let common = try Self.overlap(a, b, at: 2300)
        #expect(abs(common.areaSquareKilometres / reference.areaSquareKilometres - 1) < 1e-6)
        // 1024 x 1024 px of Pléiades' 0.5 m pan sampling (SOURCES.md) on slopes: 0.500–0.52 m a pixel.
        let spacing = (reference.areaSquareKilometres * 1e6).squareRoot() / 1024
        #expect(spacing > 0.5 && spacing < 0.52, "\(spacing) m")
        // Footprints of pushbroom images are near-convex: hull and footprint differ by < 1e-5.
        #expect(reference.polygon.convexHull().areaSquareKilometres / reference.areaSquareKilometres - 1 < 1e-5)
    }

    @Test("Réunion: geometry at 2300 m, the s2p ROI, and the height the image centres agree on")
    func reunionGeometry() throws {
        let (a, b) = try Self.reunion()
        let g = try StereoGeometry.compute(reference: a, secondaries: [b], heights: .range(.given(2300)))
        #expect(g.roi == a.bounds && !g.roiWasClipped, "the whole reference sees the secondary at 2200–2400 m")
        #expect(g.pairs[0].overlaps.map(\.height) == [2200, 2300, 2400])
        // s2p's config ROI (x 150, y 150, 700 x 700): kept as given; its footprint is
        // (700 / 1024)² of the image's for a near-affine image (1 %).
        let roi = Window(x: 150, y: 150, width: 700, height: 700)
        let s2p = try StereoGeometry.compute(reference: a, secondaries: [b], heights: .range(.given(2300)), roi: roi)
        #expect(s2p.roi == roi && !s2p.roiWasClipped)
        let ratio = s2p.roiFootprint.areaSquareKilometres / g.roiFootprint.areaSquareKilometres
        #expect(abs(ratio / (700.0 * 700 / (1024 * 1024)) - 1) < 0.01, "\(ratio)")
        #expect(abs(s2p.pairs[0].overlap.areaSquareKilometres / s2p.roiFootprint.areaSquareKilometres - 1) < 1e-6)
        // The s2p reference DSM spans 2270–2376 m (SOURCES.md): the centre-agreement height
        // (measured 2317 m) must fall in it.
        let found = try HeightRange.centreAgreement(reference: a, secondary: b)
        #expect(found.height >= 2270 && found.height <= 2376, "\(found)")
    }

    @Test("Réunion at height 0: no overlap, naming both images and the heights")
    func reunionAtZero() throws {
        let (a, b) = try Self.reunion()
        #expect(throws: GeometryError.noOverlap(reference: a.path, secondary: b.path, heights: -100...100)) {
            try StereoGeometry.compute(reference: a, secondaries: [b], heights: .range(.given(0)))
        }
        let message = GeometryError.noOverlap(reference: a.path, secondary: b.path, heights: -100...100).description
        #expect(message.contains("img_01.tif") && message.contains("img_02.tif") && message.contains("-100.0...100.0 m"))
    }

    @Test("Réunion with the Shareloc scene (another place): no overlap")
    func reunionWithShareloc() throws {
        let (a, _) = try Self.reunion()
        let other = try StereoImage.load(try SampleData.path("rpc_formats/shareloc/PHR1B_P_201709281038393_SEN_PRG_FC_178609-001.tif"))
        #expect(throws: GeometryError.noOverlap(reference: a.path, secondary: other.path, heights: 2200...2400)) {
            try StereoGeometry.compute(reference: a, secondaries: [other], heights: .range(.given(2300)))
        }
    }

    @Test("an image without RPC: RPCError.noRPC naming it; a ROI outside: roiOutsideImage")
    func badInputs() throws {
        let path = try SampleData.path("cars_phr_ventoux/image/phr_ventoux/left_image.tif")
        #expect(throws: RPCError.noRPC(source: path)) { try StereoImage.load(path) }
        let (a, b) = try Self.reunion()
        let outside = Window(x: 2000, y: 150, width: 700, height: 700)
        #expect(throws: GeometryError.roiOutsideImage(roi: outside, image: a.path, width: 1024, height: 1024)) {
            try StereoGeometry.compute(reference: a, secondaries: [b], heights: .range(.given(2300)), roi: outside)
        }
    }

    @Test("Ventoux: the left/right overlap is a strip of about 210 x 100 m (crop offsets applied)")
    func ventouxStrip() throws {
        let (left, right) = try Self.ventoux()
        let g = try StereoGeometry.compute(reference: left, secondaries: [right], heights: .range(.given(530, margin: 0)))
        let strip = g.pairs[0].overlap.polygon.principalExtents
        // SOURCES.md: "about 210x100 m" (10 %); measured 212.3 x 98.6 m at 530 m.
        #expect(abs(strip.length - 210) < 21 && abs(strip.width - 100) < 10, "\(strip)")
        // The part of the left crop that sees it: measured 413 x 177 px at 530 m, at the bottom.
        #expect(g.roi.maxY == 500 && g.roi.width > 380 && g.roi.height > 150 && g.roi.height < 220, "\(g.roi)")
        // A ROI at the top of the left crop: the right crop sees only the bottom strip.
        let top = Window(x: 0, y: 0, width: 500, height: 100)
        #expect(throws: GeometryError.roiNotSeen(roi: top, reference: left.path, secondary: right.path, heights: 530...530)) {
            try StereoGeometry.compute(reference: left, secondaries: [right], heights: .range(.given(530, margin: 0)), roi: top)
        }
        // Without its crop offset (4915, 5162) the right crop's model points at the full scene's
        // first pixels, about 2.5 km away: no overlap with the (offset) left crop.
        let unshifted = StereoImage(path: right.path, width: right.width, height: right.height,
                                    model: try RPCModel(contentsOf: try SampleData.path("cars_phr_ventoux/rpc/phr_ventoux/right_image.geom")))
        #expect(throws: GeometryError.noOverlap(reference: left.path, secondary: right.path, heights: 530...530)) {
            try StereoGeometry.compute(reference: left, secondaries: [unshifted], heights: .range(.given(530, margin: 0)))
        }
    }

    @Test("Ventoux: convergence, viewing angles and disp_to_alt_ratio against CARS 1.3.0")
    func ventouxAgainstCARS() throws {
        let (left, right) = try Self.ventoux()
        let g = try StereoGeometry.compute(reference: left, secondaries: [right], heights: .range(.given(530, margin: 50)))
        let v = g.pairs[0].viewing
        // reference_cars_1.3.0/metadata.yaml: convergence 20.14389°, left elevation 81.18908°,
        // azimuth 19.49419°, right elevation 78.59782°, azimuth 189.97795°. CARS evaluates at its
        // own point (epipolar grid); angles vary by ~1e-3° across these crops: tolerance 0.01°.
        // Measured: 20.1449°, 81.1887° / 19.4940°, 78.5972° / 189.9781°.
        #expect(abs(v.convergence - 20.14389) < 0.01, "\(v.convergence)")
        #expect(abs(v.reference.elevation - 81.18908) < 0.01 && abs(v.reference.azimuth - 19.49419) < 0.01, "\(v.reference)")
        #expect(abs(v.secondary.elevation - 78.59782) < 0.01 && abs(v.secondary.azimuth - 189.97795) < 0.01, "\(v.secondary)")
        // disp_to_alt_ratio 1.44379 m/px, measured by CARS in its epipolar images (left-image
        // resolution) and ours in the right image's pixels: tolerance 1 % (measured 1.4429, -0.06 %).
        #expect(abs(v.metresPerPixel / 1.4437923927168042 - 1) < 0.01, "\(v.metresPerPixel)")
        // The disparity span of 480–580 m: 100 m / 1.443 m/px = 69 px.
        #expect(abs(v.disparitySpan(for: g.heights) - 100 / v.metresPerPixel) < 1e-9)
    }

    @Test("Ventoux: SRTM height range converted to the ellipsoid with EGM96")
    func ventouxDEM() throws {
        let (left, right) = try Self.ventoux()
        let geoid = try Self.geoid()
        let g = try StereoGeometry.compute(reference: left, secondaries: [right], heights: .dem(path: try Self.srtm, geoid: geoid, margin: 0))
        // Measured 487.9...580.9 m ellipsoidal over the left crop (25 SRTM samples).
        let centre = try #require(g.roiFootprint.polygon.bounds)
        let n = try geoid.undulation(longitude: (centre.minLongitude + centre.maxLongitude) / 2,
                                     latitude: (centre.minLatitude + centre.maxLatitude) / 2)
        // EGM96 at Ventoux: about 50.9 m (N varies by < 0.1 m over the crop).
        #expect(abs(n - 50.9) < 0.5, "\(n)")
        // CARS's DSM of the pair spans 465–519 m above EGM96 (SOURCES.md): the SRTM range
        // (90 m samples, no margin) must hold it to within SRTM's 16 m error (90 %).
        #expect(g.heights.lower - n < 465 + 16 && g.heights.upper - n > 519 - 16, "\(g.heights)")
        // Terrain about 480 m above the geoid (SOURCES.md) is about 530 m above the ellipsoid.
        #expect(abs(g.heights.middle - 530) < 50, "\(g.heights)")
        #expect(g.heights.origin.contains("N44E005.hgt") && g.heights.origin.contains("egm96"))
        // The conversion adds N to every sample: over one box, the range is the raw SRTM extremes
        // plus N (N varies by < 0.1 m over 1 km here).
        let box = try #require(g.roiFootprint.polygon.bounds)
        let raw = try Self.rawSRTMRange(around: box)
        let converted = try HeightRange.fromDEM(try Self.srtm, covering: box, geoid: geoid, margin: 0)
        #expect(abs(converted.lower - (raw.lowerBound + n)) < 0.1 && abs(converted.upper - (raw.upperBound + n)) < 0.1,
                "\(converted) vs raw \(raw) + \(n)")
        let margin = try HeightRange.fromDEM(try Self.srtm, covering: box, geoid: geoid)
        #expect(abs(margin.lower - (converted.lower - HeightRange.defaultDEMMargin)) < 1e-9)
        #expect(throws: GeometryError.demNeedsGeoid(dem: try Self.srtm)) {
            try StereoGeometry.compute(reference: left, secondaries: [right], heights: .dem(path: try Self.srtm, geoid: nil))
        }
    }

    /// The raw SRTM values (above EGM96) of the samples whose cells touch a box, read directly.
    static func rawSRTMRange(around box: GroundBox) throws -> ClosedRange<Double> {
        let dataset = try Dataset(path: try srtm)
        let gt = try #require(dataset.geoTransform).array
        let x0 = Int(((box.minLongitude - gt[0]) / gt[1] - 0.5).rounded(.down))
        let x1 = Int(((box.maxLongitude - gt[0]) / gt[1] - 0.5).rounded(.down)) + 1
        let y0 = Int(((box.maxLatitude - gt[3]) / gt[5] - 0.5).rounded(.down))
        let y1 = Int(((box.minLatitude - gt[3]) / gt[5] - 0.5).rounded(.down)) + 1
        let values = try dataset.read(Int16.self, band: 1, window: Window(x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1))
        let valid = values.storage.filter { $0 != -32768 }.map(Double.init)
        return try #require(valid.min())...(try #require(valid.max()))
    }

    @Test("the Réunion pair with SRTM N44E005: the DEM does not cover the scene")
    func demNotCovering() throws {
        let (a, b) = try Self.reunion()
        let srtm = try Self.srtm
        #expect(performing: {
            try StereoGeometry.compute(reference: a, secondaries: [b], heights: .dem(path: srtm, geoid: try Self.geoid()))
        }, throws: { error in
            guard case GeometryError.demDoesNotCover(let dem, let area, let demArea) = error else { return false }
            // Réunion is about 55.650E 21.231S; the tile covers 5–6E, 44–45N.
            return dem == srtm && area.minLongitude < 55.65 && area.maxLongitude > 55.65 && area.maxLatitude < -21
                && demArea.map { $0.minLongitude < 5 && $0.maxLongitude > 6 } == true
        })
    }

    @Test("Marseille triplet: img_02 with img_01 and img_03")
    func marseille() throws {
        let images = try (1...3).map { try StereoImage.load(try SampleData.path("s2p_marseille_triplet/input_triplet/img_0\($0).tif")) }
        // s2p's reference DSM spans 81–275 m (SOURCES.md).
        let heights = try HeightRange(lower: 81, upper: 275, origin: "s2p reference DSM")
        let g = try StereoGeometry.compute(reference: images[1], secondaries: [images[0], images[2]], heights: .range(heights))
        #expect(g.pairs.count == 2 && g.pairs.map(\.secondary.path) == [images[0].path, images[2].path])
        #expect(g.roi == images[1].bounds, "each secondary sees most of the reference; together all of it")
        for pair in g.pairs {
            // Measured 0.249–0.263 km² of overlap, about the whole reference footprint (0.27 km²).
            #expect(pair.overlaps.allSatisfy { $0.areaSquareKilometres > 0.2 }, "\(pair.overlaps.map(\.areaSquareKilometres))")
        }
        // An along-track triplet: the three lines of sight lie nearly in one plane, so the outer
        // pair's convergence is the sum of the inner ones (measured 6.476° + 6.368° = 12.844°, outer
        // 12.844°; 0.01° allows a line of sight 0.01° off the common plane).
        let centre = StereoGeometry.centre(g.roi)
        let point = try images[1].model.localization(column: centre.x, row: centre.y, height: heights.middle)
        let first = images[0].model.projection(longitude: point.longitude, latitude: point.latitude, height: heights.middle)
        let outer = try PairViewing(reference: images[0].model, secondary: images[2].model,
                                    column: first.column, row: first.row, height: heights.middle)
        let inner = g.pairs.map(\.viewing.convergence)
        #expect(abs(outer.convergence - inner[0] - inner[1]) < 0.01, "\(outer.convergence) vs \(inner)")
    }
}
