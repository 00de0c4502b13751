/// The affine fundamental matrix of two affine cameras (Hartley & Zisserman, *Multiple View
/// Geometry*, 2nd ed., §14.2):
///
///     F = [[0, 0, a], [0, 0, b], [c, d, e]],   x2ᵀ F x1 = a x2 + b y2 + c x1 + d y1 + e = 0
///
/// for a point (x1, y1) of the reference image and its match (x2, y2) in the secondary image.
/// Over a tile of a pushbroom image the RPC projection is close to affine, which is why s2p
/// rectifies each tile with affine maps derived from this matrix.
public struct AffineFundamentalMatrix: Sendable, Equatable {
    public var a, b, c, d, e: Double

    public init(a: Double, b: Double, c: Double, d: Double, e: Double) {
        (self.a, self.b, self.c, self.d, self.e) = (a, b, c, d, e)
    }

    /// The 3x3 matrix, row after row.
    public var matrix: [[Double]] { [[0, 0, a], [0, 0, b], [c, d, e]] }

    /// The algebraic residual a x2 + b y2 + c x1 + d y1 + e of a correspondence divided by
    /// |(a, b, c, d)|: the distance of the 4-vector (x2, y2, x1, y1) to the fitted hyperplane.
    public func residual(_ m: PointCorrespondence) -> Double {
        let v = a * m.x2 + b * m.y2 + c * m.x1 + d * m.y1 + e
        return v / (a * a + b * b + c * c + d * d).squareRoot()
    }

    /// Least-squares estimate, the Gold Standard algorithm for the affine F (H&Z algorithm 14.1,
    /// s2p's `estimation.affine_fundamental_matrix`): with X = (x2, y2, x1, y1) centred on their
    /// centroid X̄, N = (a, b, c, d) is the unit vector minimising Σ (N · (X - X̄))², the
    /// eigenvector of the 4x4 scatter matrix for its smallest eigenvalue (the last right singular
    /// vector of the centred N x 4 matrix), and e = -N · X̄. This minimises the geometric
    /// (orthogonal) distance in the 4-D space of correspondences.
    ///
    /// Sign: F is defined up to scale; N has unit norm and its sign is fixed by c > 0 (or c = 0
    /// and d > 0), which is the sign numpy's SVD gives in s2p's unit reference (`F.txt`).
    ///
    /// - Throws: `RectificationError.degenerateCorrespondences` with fewer than 4
    ///   correspondences, non-finite coordinates, no clearly smallest eigenvalue (points near a
    ///   plane of the 4-D space: e.g. all at one height, so no parallax), or a null (a, b) or
    ///   (c, d) (no epipolar direction in one image).
    /// - Complexity: O(n) plus a fixed 4x4 Jacobi eigen-decomposition.
    public static func estimate(from matches: [PointCorrespondence]) throws -> AffineFundamentalMatrix {
        let n = matches.count
        guard n >= 4 else { throw RectificationError.degenerateCorrespondences(count: n, reason: "at least 4 are needed") }
        guard matches.allSatisfy({ $0.x1.isFinite && $0.y1.isFinite && $0.x2.isFinite && $0.y2.isFinite }) else {
            throw RectificationError.degenerateCorrespondences(count: n, reason: "non-finite coordinates")
        }
        var mean = SIMD4<Double>.zero
        for m in matches { mean += SIMD4(m.x2, m.y2, m.x1, m.y1) }
        mean /= Double(n)
        var s = [[Double]](repeating: [0, 0, 0, 0], count: 4)
        for m in matches {
            let v = SIMD4(m.x2, m.y2, m.x1, m.y1) - mean
            for i in 0..<4 { for j in 0..<4 { s[i][j] += v[i] * v[j] } }
        }
        let (values, vectors) = symmetricEigen4(s)
        // Values ascending. The fit is unique when the smallest is clearly below the next one:
        // the fitted hyperplane must explain the points 10x better (rms) than any other direction,
        // λ0 <= 0.01 λ1. Measured on a Réunion tile: λ0/λ1 = 7e-10 over 2270–2376 m, 5e-6 over
        // 1 m, 0.29 at a single height (the RPCs' non-affinity only: no parallax to fit).
        let scale = max(values[3], .leastNormalMagnitude)
        guard values[1] > 1e-12 * scale, values[0] <= 0.01 * values[1] else {
            throw RectificationError.degenerateCorrespondences(
                count: n, reason: "they span less than 3 dimensions (all at one height, or on a line): no unique epipolar geometry")
        }
        var v = vectors[0]
        if v[2] < 0 || (v[2] == 0 && v[3] < 0) { v = -v }
        let f = AffineFundamentalMatrix(a: v[0], b: v[1], c: v[2], d: v[3], e: -(v * mean).sum())
        let ab = (f.a * f.a + f.b * f.b).squareRoot(), cd = (f.c * f.c + f.d * f.d).squareRoot()
        guard ab > 1e-9, cd > 1e-9 else {
            throw RectificationError.degenerateCorrespondences(
                count: n, reason: "no epipolar direction in one image (|(a, b)| = \(ab), |(c, d)| = \(cd))")
        }
        return f
    }
}

/// Eigenvalues (ascending) and unit eigenvectors of a symmetric 4x4 matrix, by cyclic Jacobi
/// rotations (Golub & Van Loan §8.5) until the off-diagonal part is below 1e-30 of the norm.
/// - Complexity: a few sweeps of 6 rotations; converges quadratically.
func symmetricEigen4(_ m: [[Double]]) -> (values: [Double], vectors: [SIMD4<Double>]) {
    var a = m
    var v: [[Double]] = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]
    var norm = 0.0
    for i in 0..<4 { for j in 0..<4 { norm += a[i][j] * a[i][j] } }
    for _ in 0..<64 {
        var off = 0.0
        for i in 0..<4 { for j in 0..<4 where i != j { off += a[i][j] * a[i][j] } }
        if off <= 1e-30 * norm || off == 0 { break }
        for p in 0..<3 {
            for q in (p + 1)..<4 where a[p][q] != 0 {
                let theta = (a[q][q] - a[p][p]) / (2 * a[p][q])
                let sign: Double = theta >= 0 ? 1 : -1
                let t = sign / (abs(theta) + (theta * theta + 1).squareRoot())
                let c = 1 / (t * t + 1).squareRoot(), s = t * c
                for k in 0..<4 {
                    let akp = a[k][p], akq = a[k][q]
                    a[k][p] = c * akp - s * akq
                    a[k][q] = s * akp + c * akq
                }
                for k in 0..<4 {
                    let apk = a[p][k], aqk = a[q][k]
                    a[p][k] = c * apk - s * aqk
                    a[q][k] = s * apk + c * aqk
                }
                for k in 0..<4 {
                    let vkp = v[k][p], vkq = v[k][q]
                    v[k][p] = c * vkp - s * vkq
                    v[k][q] = s * vkp + c * vkq
                }
            }
        }
    }
    let order = (0..<4).sorted { a[$0][$0] < a[$1][$1] }
    return (order.map { a[$0][$0] }, order.map { SIMD4(v[0][$0], v[1][$0], v[2][$0], v[3][$0]) })
}
