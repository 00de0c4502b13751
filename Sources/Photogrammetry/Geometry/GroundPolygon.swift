import Foundation

/// A longitude/latitude bounding box in degrees (WGS84).
public struct GroundBox: Sendable, Equatable, CustomStringConvertible {
    public var minLongitude: Double, maxLongitude: Double
    public var minLatitude: Double, maxLatitude: Double

    public init(minLongitude: Double, maxLongitude: Double, minLatitude: Double, maxLatitude: Double) {
        self.minLongitude = minLongitude
        self.maxLongitude = maxLongitude
        self.minLatitude = minLatitude
        self.maxLatitude = maxLatitude
    }

    /// The box grown by `degrees` on each side.
    public func expanded(by degrees: Double) -> GroundBox {
        GroundBox(minLongitude: minLongitude - degrees, maxLongitude: maxLongitude + degrees,
                  minLatitude: minLatitude - degrees, maxLatitude: maxLatitude + degrees)
    }

    /// The smallest box holding both.
    public func union(_ other: GroundBox) -> GroundBox {
        GroundBox(minLongitude: min(minLongitude, other.minLongitude), maxLongitude: max(maxLongitude, other.maxLongitude),
                  minLatitude: min(minLatitude, other.minLatitude), maxLatitude: max(maxLatitude, other.maxLatitude))
    }

    public var description: String {
        func f(_ v: Double) -> String { String(format: "%.5f", v) }
        return "lon \(f(minLongitude))...\(f(maxLongitude)), lat \(f(minLatitude))...\(f(maxLatitude))"
    }
}

/// A simple polygon on the ground: vertices in (longitude, latitude) degrees (WGS84), not
/// repeated at the end. Footprints of satellite images and their intersections are small
/// (kilometres) and near-convex, so lengths and areas are computed in a local plane (see
/// `localPlane`), and clipping works on longitude/latitude directly (an affine map of that
/// plane up to the curvature of meridians, below 1e-6 relative over 10 km).
public struct GroundPolygon: Sendable, Equatable {
    /// (longitude, latitude) in degrees.
    public var vertices: [SIMD2<Double>]

    public init(vertices: [SIMD2<Double>]) { self.vertices = vertices }

    public var isEmpty: Bool { vertices.count < 3 || abs(signedArea) == 0 }

    /// The bounding box, nil for a polygon without vertices.
    public var bounds: GroundBox? {
        guard let first = vertices.first else { return nil }
        var box = GroundBox(minLongitude: first.x, maxLongitude: first.x, minLatitude: first.y, maxLatitude: first.y)
        for v in vertices {
            box.minLongitude = min(box.minLongitude, v.x)
            box.maxLongitude = max(box.maxLongitude, v.x)
            box.minLatitude = min(box.minLatitude, v.y)
            box.maxLatitude = max(box.maxLatitude, v.y)
        }
        return box
    }

    /// The area centroid in degrees (the mean of the vertices for a degenerate polygon).
    public var centroid: SIMD2<Double> {
        guard !vertices.isEmpty else { return SIMD2(.nan, .nan) }
        let mean = vertices.reduce(SIMD2<Double>.zero, +) / Double(vertices.count)
        var a = 0.0, c = SIMD2<Double>.zero
        for i in vertices.indices {
            let p = vertices[i] - mean, q = vertices[(i + 1) % vertices.count] - mean
            let cross = p.x * q.y - p.y * q.x
            a += cross
            c += (p + q) * cross
        }
        return a == 0 ? mean : mean + c / (3 * a)
    }

    /// The shoelace area in square degrees, positive for counter-clockwise vertices
    /// (longitude east, latitude north).
    public var signedArea: Double {
        guard vertices.count >= 3 else { return 0 }
        let o = vertices[0]
        var sum = 0.0
        for i in 1..<(vertices.count - 1) {
            let p = vertices[i] - o, q = vertices[i + 1] - o
            sum += p.x * q.y - p.y * q.x
        }
        return sum / 2
    }

    /// The polygon with counter-clockwise vertices.
    public var counterClockwise: GroundPolygon {
        signedArea < 0 ? GroundPolygon(vertices: vertices.reversed()) : self
    }

    /// The vertices in metres east and north of the centroid in the local plane of the WGS84
    /// ellipsoid there: x = Δlon·N·cos(lat0), y = Δlat·M (N, M: the prime-vertical and
    /// meridian radii of curvature). Relative distortion below 1e-5 within 10 km of the centre.
    public func localPlane() -> [SIMD2<Double>] {
        let c = centroid
        let scale = WGS84.metresPerDegree(latitude: c.y)
        return vertices.map { SIMD2(($0.x - c.x) * scale.x, ($0.y - c.y) * scale.y) }
    }

    /// The area in km² on the ellipsoid (local plane at the centroid, see `localPlane`).
    public var areaSquareKilometres: Double {
        let p = localPlane()
        guard p.count >= 3 else { return 0 }
        var sum = 0.0
        for i in p.indices {
            let a = p[i], b = p[(i + 1) % p.count]
            sum += a.x * b.y - a.y * b.x
        }
        return abs(sum) / 2 / 1e6
    }

    /// The extent in metres along the polygon's principal axes (longest first): for a thin
    /// strip, its length and width. From the second moments of the vertices in the local plane
    /// (max projection spans along the eigenvectors).
    public var principalExtents: (length: Double, width: Double) {
        let p = localPlane()
        guard p.count >= 2 else { return (0, 0) }
        let mean = p.reduce(SIMD2<Double>.zero, +) / Double(p.count)
        var sxx = 0.0, syy = 0.0, sxy = 0.0
        for v in p {
            let d = v - mean
            sxx += d.x * d.x
            syy += d.y * d.y
            sxy += d.x * d.y
        }
        let angle = 0.5 * atan2(2 * sxy, sxx - syy)
        let u = SIMD2(cos(angle), sin(angle)), w = SIMD2(-sin(angle), cos(angle))
        func span(_ axis: SIMD2<Double>) -> Double {
            let t = p.map { ($0 * axis).sum() }
            return t.max()! - t.min()!
        }
        let a = span(u), b = span(w)
        return (max(a, b), min(a, b))
    }

    /// True when (lon, lat) lies inside (even-odd rule; points on an edge count either way).
    public func contains(longitude: Double, latitude: Double) -> Bool {
        var inside = false
        var j = vertices.count - 1
        for i in vertices.indices {
            let a = vertices[i], b = vertices[j]
            if (a.y > latitude) != (b.y > latitude) {
                let x = (b.x - a.x) * (latitude - a.y) / (b.y - a.y) + a.x
                if longitude < x { inside.toggle() }
            }
            j = i
        }
        return inside
    }
}
