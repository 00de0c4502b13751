import Foundation
import Testing
@testable import Photogrammetry
import Raster

@Suite("Geometry: ground polygons, areas, clipping")
struct GeometryPolygonTests {
    /// Lengths of a degree on WGS84 from the textbook table (e.g. NGA / Wikipedia "Length of a
    /// degree"): equator 111 319.491 m of longitude, 110 574.3 m of latitude; 45°: 78 846.8 m and
    /// 111 131.7 m. The table's last digit bounds the tolerance (1e-5 relative).
    @Test("areas on the ellipsoid match the WGS84 length of a degree", arguments: [
        (0.0, 111_319.491, 110_574.3), (45.0, 78_846.8, 111_131.7),
    ])
    func area(latitude: Double, lonMetres: Double, latMetres: Double) {
        let side = 0.01
        let square = SyntheticGeometry.square(10, latitude - side / 2, side)
        let expected = (side * lonMetres) * (side * latMetres) / 1e6
        #expect(abs(square.areaSquareKilometres / expected - 1) < 1e-5, "\(square.areaSquareKilometres) km² vs \(expected)")
        let reversed = GroundPolygon(vertices: square.vertices.reversed())
        #expect(reversed.signedArea < 0 && square.signedArea > 0)
        #expect(abs(reversed.areaSquareKilometres - square.areaSquareKilometres) < 1e-12)
    }

    @Test("intersection of squares: overlap, containment, disjoint, touching")
    func squares() {
        let a = SyntheticGeometry.square(0, 0, 1)
        let b = SyntheticGeometry.square(0.5, 0.25, 1)
        let ab = a.intersection(b)
        #expect(abs(ab.signedArea - 0.5 * 0.75) < 1e-12)
        #expect(ab.bounds == GroundBox(minLongitude: 0.5, maxLongitude: 1, minLatitude: 0.25, maxLatitude: 1))
        // Clockwise inputs give the same area.
        let cw = GroundPolygon(vertices: a.vertices.reversed()).intersection(GroundPolygon(vertices: b.vertices.reversed()))
        #expect(abs(cw.signedArea - 0.375) < 1e-12)
        let inner = SyntheticGeometry.square(0.2, 0.2, 0.3)
        #expect(abs(a.intersection(inner).signedArea - 0.09) < 1e-12)
        #expect(abs(inner.intersection(a).signedArea - 0.09) < 1e-12)
        #expect(a.intersection(SyntheticGeometry.square(2, 2, 1)).isEmpty)
        #expect(a.intersection(SyntheticGeometry.square(1, 0, 1)).isEmpty, "sharing an edge is no overlap")
        #expect(a.intersection(GroundPolygon(vertices: [])).isEmpty)
    }

    @Test("a triangle clipped by a square; hull of a concave polygon")
    func triangleAndHull() {
        let square = SyntheticGeometry.square(0, 0, 1)
        let triangle = GroundPolygon(vertices: [SIMD2(-1, 0.5), SIMD2(2, 0.5), SIMD2(0.5, 2)])
        // Inside the square: the trapezoid between y = 0.5 and y = 1 under the sides of slope ±1.
        // At y = 1 the triangle spans x in [-0.5, 1.5], so the clipped part is the 1 x 0.5 rectangle.
        #expect(abs(triangle.intersection(square).signedArea - 0.5) < 1e-12)
        let dented = GroundPolygon(vertices: [SIMD2(0, 0), SIMD2(1, 0), SIMD2(0.5, 0.2), SIMD2(1, 1), SIMD2(0, 1)])
        #expect(dented.convexHull().vertices.count == 4)
        #expect(abs(dented.convexHull().signedArea - 1) < 1e-12)
        #expect(dented.contains(longitude: 0.2, latitude: 0.5))
        #expect(!dented.contains(longitude: 0.9, latitude: 0.3), "inside the dent")
    }

    @Test("principal extents of a rotated 200 m x 100 m rectangle")
    func extents() {
        let perDegree = WGS84.metresPerDegree(latitude: 44)
        let angle = 0.4
        let u = SIMD2(cos(angle), sin(angle)), w = SIMD2(-sin(angle), cos(angle))
        let corners = [(-100.0, -50.0), (100, -50), (100, 50), (-100, 50)].map { c -> SIMD2<Double> in
            let m = u * c.0 + w * c.1
            return SIMD2(5 + m.x / perDegree.x, 44 + m.y / perDegree.y)
        }
        let e = GroundPolygon(vertices: corners).principalExtents
        #expect(abs(e.length - 200) < 1e-3 && abs(e.width - 100) < 1e-3, "\(e)")
        #expect(abs(GroundPolygon(vertices: corners).areaSquareKilometres - 0.02) < 1e-8)
    }

    @Test("window borders are sampled on pixel edges, corners included")
    func border() {
        let (cols, rows) = RPCModel.border(of: Window(x: 10, y: 20, width: 100, height: 50), step: 30)
        // ceil(100/30) = 4 samples on each horizontal side, ceil(50/30) = 2 on each vertical one.
        #expect(cols.count == 12)
        #expect(cols[0] == 9.5 && rows[0] == 19.5)
        #expect(Set(zip(cols, rows).map { "\($0),\($1)" }).isSuperset(of: ["9.5,19.5", "109.5,19.5", "109.5,69.5", "9.5,69.5"]))
        #expect(cols.allSatisfy { $0 >= 9.5 && $0 <= 109.5 } && rows.allSatisfy { $0 >= 19.5 && $0 <= 69.5 })
    }
}
