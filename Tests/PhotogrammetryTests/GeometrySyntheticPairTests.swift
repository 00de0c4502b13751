import Foundation
import Testing
@testable import Photogrammetry
import Raster

/// A synthetic pair with known answers: `nadir` looks straight down; `oblique` is shifted 1200 px
/// east at height 0 and leans with tilt -1.2, i.e. 500 · 1.2 / 1000 = 0.6 px per metre of height,
/// so the two images coincide exactly at 1200 / 0.6 = 2000 m and do not meet below
/// (1200 - 1000) / 0.6 = 333.3 m (the Réunion situation, in miniature).
@Suite("Geometry: synthetic pair with known overlap and parallax")
struct GeometrySyntheticPairTests {
    let nadir = SyntheticGeometry.image(name: "nadir")
    let oblique = SyntheticGeometry.image(name: "oblique", sampleOffset: 499.5 + 1200, tilt: -1.2)

    @Test("a nadir 1000 x 1000 image of 0.5 m pixels covers 0.25 km²")
    func footprintArea() throws {
        let f = try nadir.footprint(height: 0, step: 100)
        // Local-plane area vs the exact 500 m x 500 m: the model's degrees per pixel use the same
        // WGS84 radii at the centre, so only the plane approximation remains (< 1e-6).
        #expect(abs(f.areaSquareKilometres - 0.25) < 0.25e-6, "\(f.areaSquareKilometres)")
        #expect(f.polygon.vertices.count == 40)
    }

    @Test("no overlap at 0 ± 100 m names both images and the heights; full overlap at 2000 m")
    func overlapAgainstHeight() throws {
        #expect(throws: GeometryError.noOverlap(reference: "nadir", secondary: "oblique", heights: -100...100)) {
            try StereoGeometry.compute(reference: nadir, secondaries: [oblique], heights: .range(.given(0, margin: 100)))
        }
        let g = try StereoGeometry.compute(reference: nadir, secondaries: [oblique], heights: .range(.given(2000, margin: 100)))
        let pair = try #require(g.pairs.first)
        // At 2000 m the footprints coincide: the intersection is the whole footprint.
        #expect(abs(pair.overlap.areaSquareKilometres - 0.25) < 1e-6)
        // At 1900 and 2100 m they are 60 px = 30 m apart: 470 m x 500 m (1e-6 km²: localisation and plane).
        #expect(abs(pair.overlaps[0].areaSquareKilometres - 0.235) < 1e-6)
        #expect(abs(pair.overlaps[2].areaSquareKilometres - 0.235) < 1e-6)
        #expect(g.roi == Window(width: 1000, height: 1000))
        // Between 333 m and 2000 m the overlap grows: at 1000 m, (1000 - 600) px x 1000 px.
        let mid = try StereoGeometry.compute(reference: nadir, secondaries: [oblique], heights: .range(.given(1000, margin: 0)))
        #expect(abs(mid.pairs[0].overlap.areaSquareKilometres - 0.1) < 1e-6)
        // The oblique image sees ground west of the nadir one: the reference columns that see the
        // overlap are the west 400 (0...399).
        #expect(mid.roi == Window(x: 0, y: 0, width: 400, height: 1000))
    }

    @Test("parallax 0.6 px/m, convergence atan(0.3), disparity range of a height range")
    func viewing() throws {
        let v = try PairViewing(reference: nadir.model, secondary: oblique.model, column: 499.5, row: 499.5, height: 2000)
        // 0.6 px/m exactly (linear model); 1e-9 px/m covers localisation's 1e-4 px over 200 m.
        #expect(abs(v.pixelsPerMetre - 0.6) < 1e-6)
        #expect(abs(v.metresPerPixel - 1 / 0.6) < 1e-5)
        // 0.6 px/m x 0.5 m/px = 0.3 m west per metre up at height 0; the model's pixel is a
        // fixed angle of longitude, which at height h spans (N + h) / N more metres (N = 6 388 838 m,
        // the prime-vertical radius at 45°): tan = 0.3 (1 + 2000 / N), 16.7041° (atan(0.3) alone
        // is 16.6992°). The nadir ray is the ellipsoid normal. Tolerance 1e-4°: the local plane (1e-6).
        let expected = atan(0.3 * (1 + 2000 / 6_388_838.0)) * 180 / .pi
        #expect(abs(v.convergence - expected) < 1e-4, "\(v.convergence) vs \(expected)")
        #expect(abs(v.reference.elevation - 90) < 1e-4)
        #expect(abs(v.secondary.elevation - (90 - expected)) < 1e-4)
        // Higher ground moves the oblique image west (tilt < 0): direction (-1, 0).
        #expect(abs(v.epipolarDirection.x + 1) < 1e-6 && abs(v.epipolarDirection.y) < 1e-6)
        let range = try HeightRange(lower: 1900, upper: 2200, origin: "test")
        #expect(abs(v.disparitySpan(for: range) - 180) < 1e-3)
        let d = v.disparities(for: range, relativeTo: 2000)
        #expect(abs(d.lowerBound + 60) < 1e-3 && abs(d.upperBound - 120) < 1e-3)
    }

    @Test("the centre-agreement search finds 2000 m")
    func centreSearch() throws {
        let found = try HeightRange.centreAgreement(reference: nadir, secondary: oblique)
        #expect(found.height == 2000 && found.distance < 1e-3, "\(found)")
    }

    @Test("ROI checks: outside, empty, absurd, clipped")
    func roi() throws {
        #expect(throws: GeometryError.roiOutsideImage(roi: Window(x: 1000, y: 0, width: 10, height: 10), image: "nadir", width: 1000, height: 1000)) {
            try StereoGeometry.validate(roi: Window(x: 1000, y: 0, width: 10, height: 10), in: nadir)
        }
        #expect(throws: GeometryError.roiOutsideImage(roi: Window(x: -20, y: -20, width: 20, height: 500), image: "nadir", width: 1000, height: 1000)) {
            try StereoGeometry.validate(roi: Window(x: -20, y: -20, width: 20, height: 500), in: nadir)
        }
        for bad in [Window(x: 0, y: 0, width: 0, height: 10), Window(x: 0, y: 0, width: 10, height: -5),
                    Window(x: 0, y: 0, width: 5_000_000, height: 10), Window(x: -9_000_000, y: 0, width: 10, height: 10)] {
            #expect(performing: { try StereoGeometry.validate(roi: bad, in: nadir) }, throws: { error in
                guard case GeometryError.invalidROI(let roi, _) = error else { return false }
                return roi == bad
            })
        }
        let clipped = try StereoGeometry.validate(roi: Window(x: 900, y: -50, width: 200, height: 100), in: nadir)
        #expect(clipped.window == Window(x: 900, y: 0, width: 100, height: 50) && clipped.clipped)
        let g = try StereoGeometry.compute(reference: nadir, secondaries: [oblique], heights: .range(.given(2000)),
                                           roi: Window(x: 900, y: -50, width: 200, height: 100))
        #expect(g.roi == Window(x: 900, y: 0, width: 100, height: 50) && g.roiWasClipped)
        #expect(throws: GeometryError.notEnoughImages(1)) {
            try StereoGeometry.compute(reference: nadir, secondaries: [], heights: .range(.given(0)))
        }
    }

    @Test("height ranges: given ± margin, and the errors")
    func heights() throws {
        let r = try HeightRange.given(2300, margin: 150)
        #expect(r.lower == 2150 && r.upper == 2450 && r.middle == 2300 && r.samples(3) == [2150, 2300, 2450])
        #expect(try HeightRange.given(10, margin: 0).samples(3) == [10])
        #expect(throws: GeometryError.invalidHeightRange(lower: 5, upper: 1, reason: "lower bound above the upper one")) {
            try HeightRange(lower: 5, upper: 1, origin: "test")
        }
        #expect(performing: { try HeightRange.given(.nan) }, throws: { ($0 as? GeometryError).map { if case .invalidHeightRange = $0 { true } else { false } } ?? false })
        #expect(performing: { try HeightRange.given(2300, margin: -1) }, throws: { ($0 as? GeometryError).map { if case .invalidHeightRange = $0 { true } else { false } } ?? false })
        // 2 300 000: kilometres mistaken for metres x 1000, say.
        #expect(performing: { try HeightRange.given(2_300_000) }, throws: { ($0 as? GeometryError).map { if case .invalidHeightRange = $0 { true } else { false } } ?? false })
    }
}
