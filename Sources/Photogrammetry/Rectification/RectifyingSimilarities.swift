import Raster

/// Two similarities (rotation, zoom, translation) that rectify a pair related by an affine
/// fundamental matrix: corresponding points end on the same row (equal y). s2p's
/// `estimation.rectifying_similarities_from_affine_fundamental_matrix`.
public struct RectifyingSimilarities: Sendable, Equatable {
    /// Reference image -> rectified left.
    public var left: AffineMap2D
    /// Secondary image -> rectified right.
    public var right: AffineMap2D

    /// With F = [[0,0,a],[0,0,b],[c,d,e]], r = |(c, d)|, s = |(a, b)|, z = √(r/s), t = e / (2√(rs)):
    /// left = z R1 + (0, t) with R1 = [[d, -c], [c, d]] / r; right = R2 / z - (0, t) with
    /// R2 = [[-b, a], [-a, -b]] / s. Then y_left - y_right = (c x1 + d y1 + a x2 + b y2 + e) / √(rs),
    /// zero exactly on the epipolar constraint. The zoom is split evenly (z and 1/z).
    public init(_ f: AffineFundamentalMatrix) {
        let r = (f.c * f.c + f.d * f.d).squareRoot()
        let s = (f.a * f.a + f.b * f.b).squareRoot()
        let z = (r / s).squareRoot()
        let t = 0.5 * f.e / (r * s).squareRoot()
        left = AffineMap2D(a: z * f.d / r, b: -z * f.c / r, c: 0, d: z * f.c / r, e: z * f.d / r, f: t)
        right = AffineMap2D(a: -f.b / (s * z), b: f.a / (s * z), c: 0, d: -f.a / (s * z), e: -f.b / (s * z), f: -t)
    }

    /// s2p's `rectification_homographies`: both maps followed by the translation that brings the
    /// top-left corner of the bounding box of the rectified tile (corners x, x + w; y, y + h, as s2p)
    /// to the origin.
    public func movedToOrigin(of tile: Window) -> RectifyingSimilarities {
        let box = boundingBox(of: tile, under: left)
        var out = self
        let shift = AffineMap2D.translation(x: -box.minX, y: -box.minY)
        out.left = left.followed(by: shift)
        out.right = right.followed(by: shift)
        return out
    }
}

/// The bounding box of a tile's corners (x, y), (x + w, y), (x + w, y + h), (x, y + h) mapped by
/// `map` (s2p's convention: the continuous ROI [x, x + w] x [y, y + h]).
func boundingBox(of tile: Window, under map: AffineMap2D) -> (minX: Double, minY: Double, maxX: Double, maxY: Double) {
    let x0 = Double(tile.x), y0 = Double(tile.y), x1 = Double(tile.maxX), y1 = Double(tile.maxY)
    let corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)].map { map.apply(x: $0.0, y: $0.1) }
    return (corners.map(\.x).min()!, corners.map(\.y).min()!, corners.map(\.x).max()!, corners.map(\.y).max()!)
}
