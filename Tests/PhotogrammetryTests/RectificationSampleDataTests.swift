import Foundation
import Testing
@testable import Photogrammetry
import Raster

/// Rectification on the Réunion pair (s2p's `input_pair`, terrain 2270–2376 m ellipsoidal) and
/// against s2p's unit references, which were made from that same pair (`tests/rpc_utils_test.py`
/// and `tests/rectification_test.py`: ROI x 100, y 100, 200 x 200, 5 points per axis).
@Suite("Rectification: Réunion pair and s2p references", .enabled(if: SampleData.root != nil, SampleData.skipMessage))
struct RectificationSampleDataTests {
    /// Metres on the ground between two lon/lat points (local sphere, enough at the cm level).
    static func groundDistance(_ lon1: Double, _ lat1: Double, _ lon2: Double, _ lat2: Double) -> Double {
        let dx = (lon1 - lon2) * .pi / 180 * 6_378_137 * cos(lat1 * .pi / 180)
        let dy = (lat1 - lat2) * .pi / 180 * 6_378_137
        return (dx * dx + dy * dy).squareRoot()
    }

    @Test("s2p unit reference: F, H1, H2 from unit_matches_from_rpc.txt (ROI 100, 100, 200x200)")
    func s2pHomographies() throws {
        let matches = try RectificationData.correspondences("unit_matches_from_rpc.txt")
        #expect(matches.count == 125)
        let f = try AffineFundamentalMatrix.estimate(from: matches)
        let s = RectifyingSimilarities(f).movedToOrigin(of: Window(x: 100, y: 100, width: 200, height: 200))
        // The files hold 6 decimals (numpy "%f"): agreement within half a unit of the last digit,
        // 5e-7, plus round-off; s2p's own test allows rtol 1 %, atol 1e-6.
        let tolerance = 6e-7
        for (computed, name) in [(f.matrix, "F.txt"), (s.left.matrix, "H1.txt"), (s.right.matrix, "H2.txt")] {
            let expected = try RectificationData.matrix(name)
            #expect(expected.count == 3 && expected.allSatisfy { $0.count == 3 }, "\(name) is 3x3")
            for i in 0..<3 {
                for j in 0..<3 {
                    #expect(abs(computed[i][j] - expected[i][j]) < tolerance, "\(name)[\(i)][\(j)]: \(computed[i][j]) vs \(expected[i][j])")
                }
            }
        }
    }

    @Test("s2p unit reference: matches_from_rpc on the Réunion pair (heights: RPC offset ± scale)")
    func s2pVirtualMatches() throws {
        let (a, b) = try RectificationData.reunion()
        let c = a.model.coefficients
        // s2p's altitude_range_coarse: the RPC's height offset ± its height scale.
        let heights = (c.heightOffset - c.heightScale)...(c.heightOffset + c.heightScale)
        let computed = try PointCorrespondence.virtual(
            reference: a.model, secondary: b.model, tile: Window(x: 100, y: 100, width: 200, height: 200), heights: heights, count: 5)
        let expected = try RectificationData.correspondences("unit_matches_from_rpc.txt")
        #expect(computed.count == expected.count)
        // The reference file's x1, y1 miss the grid (120, 160, ...) by up to 0.0019 px: rpcm's
        // localisation error; ours re-projects within 1e-4 px. 0.005 px covers that and the
        // secondary points inherit it (measured max 0.00196 px).
        var worst = 0.0
        for (p, q) in zip(computed, expected) {
            worst = max(worst, abs(p.x1 - q.x1), abs(p.y1 - q.y1), abs(p.x2 - q.x2), abs(p.y2 - q.y2))
        }
        #expect(worst < 0.005, "max difference \(worst) px")
    }

    /// Tiles of the s2p ROI (x 150, y 150, 700 x 700, tile size 300), including the last, narrow
    /// ones, and a tile at the image corner.
    static let tiles = [
        Window(x: 150, y: 150, width: 300, height: 300), Window(x: 450, y: 450, width: 300, height: 300),
        Window(x: 750, y: 150, width: 100, height: 300), Window(x: 750, y: 750, width: 100, height: 100),
        Window(x: 0, y: 0, width: 300, height: 300),
    ]

    @Test("Held-out virtual correspondences land on one rectified row, with disparities inside the range", arguments: tiles)
    func epipolarRows(tile: Window) throws {
        let (a, b) = try RectificationData.reunion()
        let r = try TileRectification.compute(reference: a, secondary: b, tile: tile, heights: RectificationData.reunionHeights)
        // Heights and positions not on the fit's grid (5 heights at 2270, 2296.5, ...; 5x5 cell centres).
        var worstRow = 0.0
        var disparityAt: [Double: [Double]] = [:]
        for h in [2271.3, 2301.7, 2333.1, 2375.2] {
            for j in 0...6 {
                for i in 0...6 {
                    let col = Double(tile.x) + Double(tile.width) * (Double(i) + 0.13) / 6.26
                    let row = Double(tile.y) + Double(tile.height) * (Double(j) + 0.07) / 6.14
                    let g = try a.model.localization(column: col, row: row, height: h)
                    let q = r.rectified(longitude: g.longitude, latitude: g.latitude, height: h)
                    worstRow = max(worstRow, abs(q.y - q.rightY))
                    #expect(r.disparities.contains(Int(q.disparity.rounded(.down))) && r.disparities.contains(Int(q.disparity.rounded(.up))),
                            "d = \(q.disparity) at h = \(h) outside \(r.disparities)")
                    // The rectified point lies inside the rectified tile, margins excluded.
                    #expect(q.x >= Double(r.horizontalMargin) - 1e-6 && q.x <= Double(r.width - r.horizontalMargin) + 1e-6)
                    #expect(q.y >= Double(r.verticalMargin) - 1e-6 && q.y <= Double(r.height - r.verticalMargin) + 1e-6)
                    disparityAt[h, default: []].append(q.disparity)
                }
            }
        }
        // Affine approximation of the RPCs over a tile: measured <= 0.0025 px on these tiles;
        // 0.01 px is 4x that and well below what matching resolves (s2p's epipolar_thresh 0.5 px).
        #expect(worstRow < 0.01, "tile \(tile): max |y_left - y_right| = \(worstRow) px")
        #expect(r.fitRowResidual < 0.01)
        // Disparity grows monotonically with height (same sign at every point): higher ground,
        // one direction of parallax.
        let low = try #require(disparityAt[2271.3]), high = try #require(disparityAt[2375.2])
        let signs = Set(zip(low, high).map { $0.1 > $0.0 })
        #expect(signs.count == 1)
        // The safety margin: the range is wider than the heights' own disparities.
        #expect(Double(r.disparities.lowerBound) < r.heightDisparities.lowerBound)
        #expect(Double(r.disparities.upperBound) > r.heightDisparities.upperBound)
        #expect(r.horizontalMargin >= max(20, abs(r.disparities.lowerBound), abs(r.disparities.upperBound)))
    }

    @Test("Rectified (x, y, d) maps back to both sensors and triangulates to the ground point (< 1 cm)")
    func roundTrip() throws {
        let (a, b) = try RectificationData.reunion()
        let r = try TileRectification.compute(reference: a, secondary: b, tile: RectificationData.reunionTile,
                                              heights: RectificationData.reunionHeights)
        var worstPlan = 0.0, worstHeight = 0.0
        for h in [2280.0, 2323.4, 2366.6] {
            for (col, row) in [(160.2, 171.9), (299.5, 300.5), (441.0, 158.3), (205.7, 433.3)] {
                let g = try a.model.localization(column: col, row: row, height: h)
                let q = r.rectified(longitude: g.longitude, latitude: g.latitude, height: h)
                // Left side maps back exactly (1e-9 px: round-off of the inverse map).
                let p = r.sensorPoints(x: q.x, y: q.y, disparity: q.disparity)
                let p1 = a.model.projection(longitude: g.longitude, latitude: g.latitude, height: h)
                #expect(abs(p.reference.x - p1.column) < 1e-9 && abs(p.reference.y - p1.row) < 1e-9)
                let t = try r.triangulate(x: q.x, y: q.y, disparity: q.disparity)
                worstPlan = max(worstPlan, Self.groundDistance(t.longitude, t.latitude, g.longitude, g.latitude))
                worstHeight = max(worstHeight, abs(t.height - h))
            }
        }
        // The right point differs from the true one only by the row residual (< 0.0025 px):
        // measured 0.4 mm in plan, 0.03 mm in height.
        #expect(worstPlan < 0.01, "plan error \(worstPlan) m")
        #expect(worstHeight < 0.01, "height error \(worstHeight) m")
    }

    @Test("Resampled tiles: same size, equal to bicubic values of the whole image, NaN outside it")
    func resample() throws {
        let (a, b) = try RectificationData.reunion()
        let inside = try TileRectification.compute(reference: a, secondary: b, tile: RectificationData.reunionTile,
                                                   heights: RectificationData.reunionHeights)
        let pair = try inside.resample()
        #expect(pair.left.width == inside.width && pair.left.height == inside.height)
        #expect(pair.right.width == inside.width && pair.right.height == inside.height)
        #expect(pair.left.storage.allSatisfy { !$0.isNaN } && pair.right.storage.allSatisfy { !$0.isNaN },
                "the tile and its margins lie well inside both images")
        // Against the whole images read at once (the tile reads only windows).
        let full1 = try Dataset(path: a.path).readAll(Float.self)
        let full2 = try Dataset(path: b.path).readAll(Float.self)
        for (i, j) in [(0, 0), (57, 91), (inside.width - 1, inside.height - 1), (200, 150)] {
            let s1 = inside.leftInverse.apply(x: Double(i), y: Double(j))
            let s2 = inside.rightInverse.apply(x: Double(i), y: Double(j))
            // Same taps; the window origin changes the coordinates' round-off only (1e-3 of values ~ 1e3).
            #expect(abs(pair.left[i, j] - bicubicSample(full1, x: s1.x, y: s1.y)) < 1e-3)
            #expect(abs(pair.right[i, j] - bicubicSample(full2, x: s2.x, y: s2.y)) < 1e-3)
        }
        // A tile at the image corner: its margins fall outside the image and are NaN, its core is not.
        let corner = try TileRectification.compute(reference: a, secondary: b, tile: Window(x: 0, y: 0, width: 200, height: 200),
                                                   heights: RectificationData.reunionHeights)
        let left = try corner.resample().left
        var nan = 0, coreNaN = 0
        for j in 0..<left.height {
            for i in 0..<left.width where left[i, j].isNaN {
                nan += 1
                let s = corner.leftInverse.apply(x: Double(i), y: Double(j))
                #expect(s.x < 1 || s.y < 1 || s.x > Double(a.width - 3) || s.y > Double(a.height - 3), "NaN at (\(i), \(j)) -> \(s)")
                if s.x >= 2 && s.y >= 2 && s.x <= 198 && s.y <= 198 { coreNaN += 1 }
            }
        }
        #expect(nan > 0 && coreNaN == 0)
    }

    @Test("The rectified Réunion images agree row for row up to the RPCs' pointing offset, which the correction removes")
    func imageRows() throws {
        let (a, b) = try RectificationData.reunion()
        let r = try TileRectification.compute(reference: a, secondary: b, tile: RectificationData.reunionTile,
                                              heights: RectificationData.reunionHeights)
        let pair = try r.resample()
        let before = try #require(estimateRowOffset(left: pair.left, right: pair.right, disparities: r.disparities, step: 24))
        // Measured -0.78 px (step 12: 161 patches): the relative pointing error of the RPCs, the
        // same order as the 0.68 px of s2p's Marseille SIFT matches below. Rectification by the
        // RPCs alone is therefore good to about a pixel, not better.
        #expect(before.offset > -1.2 && before.offset < -0.4, "\(before)")
        let corrected = r.correctingRowOffset(before.offset)
        #expect(corrected.left == r.left && corrected.right.a == r.right.a && corrected.right.c == r.right.c)
        let again = try corrected.resample()
        let after = try #require(estimateRowOffset(left: again.left, right: again.right, disparities: r.disparities, step: 24))
        // Measured 0.05 px after correction; 0.2 px is the patch-wise spread (~0.2-0.3 px).
        #expect(abs(after.offset) < 0.2, "\(after)")
    }

    @Test("Bad input: tiles outside the image, a zero height span, bad parameters")
    func badInput() throws {
        let (a, b) = try RectificationData.reunion()
        for tile in [Window(x: 900, y: 0, width: 300, height: 300), Window(x: -10, y: 0, width: 100, height: 100),
                     Window(x: 5000, y: 5000, width: 10, height: 10), Window(x: 10, y: 10, width: 0, height: 50)] {
            #expect(throws: RectificationError.tileOutsideImage(tile: tile, image: a.path, width: a.width, height: a.height)) {
                try TileRectification.compute(reference: a, secondary: b, tile: tile, heights: RectificationData.reunionHeights)
            }
        }
        // One height: the virtual correspondences lie on a plane, no epipolar direction.
        do {
            _ = try TileRectification.compute(reference: a, secondary: b, tile: RectificationData.reunionTile, heights: 2300...2300)
            Issue.record("a zero height span must fail")
        } catch let error as RectificationError {
            guard case .degenerateCorrespondences(let count, _) = error else { Issue.record("\(error)"); return }
            #expect(count == 25)
        }
        var parameters = RectificationParameters()
        parameters.gridPointsPerAxis = 1
        #expect(throws: RectificationError.invalidParameter(name: "gridPointsPerAxis", value: 1, reason: "at least 2 points per axis")) {
            try TileRectification.compute(reference: a, secondary: b, tile: RectificationData.reunionTile,
                                          heights: RectificationData.reunionHeights, parameters: parameters)
        }
        #expect(throws: RectificationError.invalidParameter(name: "count", value: 1, reason: "at least 2 points per axis")) {
            try PointCorrespondence.virtual(reference: a.model, secondary: b.model, tile: RectificationData.reunionTile,
                                            heights: RectificationData.reunionHeights, count: 1)
        }
        #expect(RectificationError.tileOutsideImage(tile: Window(x: 900, y: 0, width: 300, height: 300), image: "img.tif", width: 1000, height: 1000)
            .description.contains("x 900, y 0, 300x300"))
    }

    @Test("Marseille SIFT matches (s2p matches_on_rpc_roi.txt): on one rectified row up to a constant pointing offset")
    func siftMatches() throws {
        let folder = "s2p_marseille_triplet/input_triplet/"
        let a = try StereoImage.load(try SampleData.path(folder + "img_01.tif"))
        let b = try StereoImage.load(try SampleData.path(folder + "img_02.tif"))
        // s2p's reference DSM of the triplet spans 81–275 m (ellipsoidal).
        let r = try TileRectification.compute(reference: a, secondary: b, tile: Window(x: 100, y: 100, width: 200, height: 200),
                                              heights: 60...300)
        let sift = try RectificationData.correspondences("matches_on_rpc_roi.txt")
        #expect(sift.count == 481)
        let dy = sift.map { r.left.apply(x: $0.x1, y: $0.y1).y - r.right.apply(x: $0.x2, y: $0.y2).y }
        let mean = dy.reduce(0, +) / Double(dy.count)
        let spread = (dy.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(dy.count)).squareRoot()
        // The RPCs' relative pointing error is a near-constant row offset (s2p corrects it with
        // a translation); around it SIFT matches scatter by their localisation error. Measured:
        // offset 0.68 px, standard deviation 0.14 px, max deviation 0.45 px; 0.3 px is 2x the std.
        #expect(abs(mean) < 1.5, "row offset \(mean) px")
        #expect(spread < 0.3, "row spread \(spread) px around the offset \(mean) px")
        // Measured disparities 4.4 ... 22.6 px inside -39 ... 39 (heights 60–300 m).
        let d = sift.map { r.left.apply(x: $0.x1, y: $0.y1).x - r.right.apply(x: $0.x2, y: $0.y2).x }
        #expect(d.allSatisfy { r.disparities.contains(Int($0.rounded())) })
    }
}
