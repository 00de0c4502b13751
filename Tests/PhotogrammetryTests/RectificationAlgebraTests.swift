import Foundation
import Testing
@testable import Photogrammetry
import Raster

/// Affine maps, the affine fundamental matrix and the rectifying similarities on synthetic
/// affine cameras, where the epipolar geometry is exact: every tolerance here is round-off.
@Suite("Rectification: affine algebra")
struct RectificationAlgebraTests {
    /// Two affine cameras (2x4 matrices) and a cloud of 3D points spread in all three directions:
    /// the exact correspondences of an affine stereo pair.
    static func affinePair(heights: [Double] = [-40, 0, 25, 60]) -> [PointCorrespondence] {
        var out: [PointCorrespondence] = []
        for h in heights {
            for j in 0..<6 {
                for i in 0..<6 {
                    let X = 17.0 * Double(i) + 3, Y = 19.0 * Double(j) - 7, Z = h
                    let x1 = 0.98 * X - 0.11 * Y + 0.05 * Z + 120
                    let y1 = 0.12 * X + 1.01 * Y - 0.31 * Z + 80
                    let x2 = 1.02 * X + 0.09 * Y - 0.04 * Z + 140
                    let y2 = -0.10 * X + 0.97 * Y + 0.35 * Z + 60
                    out.append(PointCorrespondence(x1: x1, y1: y1, x2: x2, y2: y2, height: h))
                }
            }
        }
        return out
    }

    @Test("AffineMap2D: inverse, composition order, singular maps")
    func affineMap() throws {
        let m = AffineMap2D(a: 0.8, b: -0.6, c: 12.5, d: 0.6, e: 0.8, f: -3.25)
        let t = AffineMap2D.translation(x: 5, y: -7)
        let inverse = try #require(m.inverse)
        for (x, y) in [(0.0, 0.0), (123.4, -56.7), (-1e3, 2e3)] {
            let p = m.apply(x: x, y: y)
            let back = inverse.apply(x: p.x, y: p.y)
            // 1e-9: a few ulps of coordinates up to 2e3.
            #expect(abs(back.x - x) < 1e-9 && abs(back.y - y) < 1e-9)
            // followed(by:) applies self first, then the argument.
            let q = m.followed(by: t).apply(x: x, y: y)
            #expect(abs(q.x - (p.x + 5)) < 1e-9 && abs(q.y - (p.y - 7)) < 1e-9)
            let r = t.followed(by: m).apply(x: x, y: y)
            let expected = m.apply(x: x + 5, y: y - 7)
            #expect(abs(r.x - expected.x) < 1e-9 && abs(r.y - expected.y) < 1e-9)
        }
        let composed = m.followed(by: inverse)
        #expect(abs(composed.a - 1) < 1e-12 && abs(composed.b) < 1e-12 && abs(composed.c) < 1e-12)
        #expect(abs(composed.d) < 1e-12 && abs(composed.e - 1) < 1e-12 && abs(composed.f) < 1e-12)
        #expect(AffineMap2D(a: 1, b: 2, c: 3, d: 2, e: 4, f: 5).inverse == nil, "rank-1 linear part")
    }

    @Test("Jacobi eigen-decomposition of a symmetric 4x4 matrix: A v = λ v, ascending")
    func eigen() {
        let m: [[Double]] = [[4, 1, -2, 0.5], [1, 3, 0.25, 1], [-2, 0.25, 5, -1], [0.5, 1, -1, 2]]
        let (values, vectors) = symmetricEigen4(m)
        #expect(values == values.sorted())
        for k in 0..<4 {
            let v = vectors[k]
            #expect(abs((v * v).sum() - 1) < 1e-12)
            for i in 0..<4 {
                let av = m[i][0] * v[0] + m[i][1] * v[1] + m[i][2] * v[2] + m[i][3] * v[3]
                #expect(abs(av - values[k] * v[i]) < 1e-10, "row \(i) of eigenpair \(k)")
            }
        }
        // Trace is preserved.
        #expect(abs(values.reduce(0, +) - 14) < 1e-12)
    }

    @Test("Exact affine pair: F fits every correspondence, the similarities put matches on one row")
    func exactPair() throws {
        let matches = Self.affinePair()
        let f = try AffineFundamentalMatrix.estimate(from: matches)
        #expect(f.c > 0, "sign convention")
        #expect(abs(f.a * f.a + f.b * f.b + f.c * f.c + f.d * f.d - 1) < 1e-12, "unit (a, b, c, d)")
        // 1e-9 px: round-off of coordinates of a few hundred pixels.
        #expect(matches.allSatisfy { abs(f.residual($0)) < 1e-9 })
        let s = RectifyingSimilarities(f).movedToOrigin(of: Window(x: 100, y: 50, width: 120, height: 140))
        for m in matches {
            let l = s.left.apply(x: m.x1, y: m.y1), r = s.right.apply(x: m.x2, y: m.y2)
            #expect(abs(l.y - r.y) < 1e-9)
        }
        // Similarities: orthogonal linear parts with zooms z and 1/z.
        let z = s.left.determinant.squareRoot()
        #expect(abs(s.left.a - s.left.e) < 1e-12 && abs(s.left.b + s.left.d) < 1e-12)
        #expect(abs(s.right.determinant - 1 / (z * z)) < 1e-12)
        // The tile's rectified bounding box starts at the origin.
        let box = boundingBox(of: Window(x: 100, y: 50, width: 120, height: 140), under: s.left)
        #expect(abs(box.minX) < 1e-9 && abs(box.minY) < 1e-9)
    }

    @Test("Horizontal registration: a shear gives disparity 0 on one height's matches, a translation mean 0")
    func registration() throws {
        let matches = Self.affinePair()
        let s = RectifyingSimilarities(try AffineFundamentalMatrix.estimate(from: matches))
        let flat = matches.filter { $0.height == 25 }
        let shear = try HorizontalRegistration.shear(matches: flat, left: s.left, right: s.right)
        #expect(shear.d == 0 && shear.e == 1 && shear.f == 0, "rows unchanged")
        let right = s.right.followed(by: shear)
        for m in flat {
            let d = s.left.apply(x: m.x1, y: m.y1).x - right.apply(x: m.x2, y: m.y2).x
            #expect(abs(d) < 1e-9, "a plane of an affine pair maps by an affine map: exact fit")
        }
        let shift = try HorizontalRegistration.translation(matches: matches, left: s.left, right: s.right)
        let shifted = s.right.followed(by: shift)
        let mean = matches.reduce(0.0) { $0 + s.left.apply(x: $1.x1, y: $1.y1).x - shifted.apply(x: $1.x2, y: $1.y2).x } / Double(matches.count)
        #expect(abs(mean) < 1e-9)
        #expect(throws: RectificationError.self) { try HorizontalRegistration.translation(matches: [], left: s.left, right: s.right) }
        #expect(throws: RectificationError.self) { try HorizontalRegistration.shear(matches: Array(flat.prefix(2)), left: s.left, right: s.right) }
    }

    @Test("Degenerate correspondences give clear errors carrying the count")
    func degenerate() throws {
        let matches = Self.affinePair()
        #expect(throws: RectificationError.degenerateCorrespondences(count: 3, reason: "at least 4 are needed")) {
            try AffineFundamentalMatrix.estimate(from: Array(matches.prefix(3)))
        }
        // One height: x2 is an affine function of x1, the 4-D points span a plane, F is not unique.
        let flat = Self.affinePair(heights: [10])
        do {
            _ = try AffineFundamentalMatrix.estimate(from: flat)
            Issue.record("one height must not determine F")
        } catch let error as RectificationError {
            guard case .degenerateCorrespondences(let count, _) = error else { Issue.record("\(error)"); return }
            #expect(count == 36)
            #expect(error.description.contains("36 correspondence") && error.description.contains("the same view"))
        }
        // All the same point.
        let same = [PointCorrespondence](repeating: matches[0], count: 10)
        #expect(throws: RectificationError.self) { try AffineFundamentalMatrix.estimate(from: same) }
        var bad = matches
        bad[5].x2 = .nan
        #expect(throws: RectificationError.degenerateCorrespondences(count: matches.count, reason: "non-finite coordinates")) {
            try AffineFundamentalMatrix.estimate(from: bad)
        }
    }
}
