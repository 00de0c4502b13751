/// A plane affine map (x, y) -> (a x + b y + c, d x + e y + f): the 3x3 homogeneous matrix
/// [[a, b, c], [d, e, f], [0, 0, 1]], as s2p's rectifying "homographies" (which are affine).
public struct AffineMap2D: Sendable, Equatable, CustomStringConvertible {
    public var a, b, c: Double
    public var d, e, f: Double

    public init(a: Double, b: Double, c: Double, d: Double, e: Double, f: Double) {
        (self.a, self.b, self.c, self.d, self.e, self.f) = (a, b, c, d, e, f)
    }

    public static let identity = AffineMap2D(a: 1, b: 0, c: 0, d: 0, e: 1, f: 0)

    public static func translation(x: Double, y: Double) -> AffineMap2D {
        AffineMap2D(a: 1, b: 0, c: x, d: 0, e: 1, f: y)
    }

    /// The two first rows of the homogeneous matrix, row after row.
    public var matrix: [[Double]] { [[a, b, c], [d, e, f], [0, 0, 1]] }

    /// The determinant of the linear part (the area scale; 0 for a degenerate map).
    public var determinant: Double { a * e - b * d }

    @inlinable public func apply(x: Double, y: Double) -> (x: Double, y: Double) {
        (a * x + b * y + c, d * x + e * y + f)
    }

    /// The inverse map, nil when the linear part is singular (|det| below 1e-300 or not finite).
    public var inverse: AffineMap2D? {
        let det = determinant
        guard det.isFinite, abs(det) > 1e-300 else { return nil }
        let ia = e / det, ib = -b / det, id = -d / det, ie = a / det
        return AffineMap2D(a: ia, b: ib, c: -(ia * c + ib * f), d: id, e: ie, f: -(id * c + ie * f))
    }

    /// `self` first, then `next`: (next ∘ self)(p) = next(self(p)); the matrix product next · self.
    public func followed(by next: AffineMap2D) -> AffineMap2D {
        AffineMap2D(
            a: next.a * a + next.b * d, b: next.a * b + next.b * e, c: next.a * c + next.b * f + next.c,
            d: next.d * a + next.e * d, e: next.d * b + next.e * e, f: next.d * c + next.e * f + next.f)
    }

    public var description: String {
        "[[\(a), \(b), \(c)], [\(d), \(e), \(f)]]"
    }
}
