/// Dense linear least squares by Householder QR, in Swift.
///
/// Chosen over LAPACK for the RPC fit: the systems are small (39 unknowns, a few thousand rows),
/// QR on the (normalised) design matrix keeps the conditioning of the problem instead of squaring
/// it as normal equations would, and it avoids a system-library target for one call.
///
/// - Parameters:
///   - a: the m x n design matrix, column-major (`a[i + j * m]`), m >= n. Consumed.
///   - b: the m right-hand side values. Consumed.
/// - Returns: x minimising |A x - b|, or nil when A is rank-deficient (a zero pivot).
/// - Complexity: O(m n²) time, no extra storage beyond the inputs.
func solveLeastSquares(_ a: inout [Double], _ b: inout [Double], rows m: Int, columns n: Int) -> [Double]? {
    precondition(m >= n && a.count == m * n && b.count == m)
    var diagonal = [Double](repeating: 0, count: n)
    let ok: Bool = a.withUnsafeMutableBufferPointer { A in
        b.withUnsafeMutableBufferPointer { B in
            var maxNorm = 0.0
            for k in 0..<n {
                let col = A.baseAddress! + k * m
                var norm = 0.0
                for i in k..<m { norm += col[i] * col[i] }
                norm = norm.squareRoot()
                maxNorm = max(maxNorm, norm)
                if norm == 0 || norm <= 1e-14 * maxNorm { return false }
                let alpha = col[k] > 0 ? -norm : norm
                // Householder vector v = x - alpha e_k, stored in place of column k.
                col[k] -= alpha
                var vv = 0.0
                for i in k..<m { vv += col[i] * col[i] }
                for j in (k + 1)..<max(n, k + 1) {
                    let cj = A.baseAddress! + j * m
                    var dot = 0.0
                    for i in k..<m { dot += col[i] * cj[i] }
                    let f = 2 * dot / vv
                    for i in k..<m { cj[i] -= f * col[i] }
                }
                var dot = 0.0
                for i in k..<m { dot += col[i] * B[i] }
                let f = 2 * dot / vv
                for i in k..<m { B[i] -= f * col[i] }
                diagonal[k] = alpha
            }
            return true
        }
    }
    guard ok else { return nil }
    // Back substitution on R (upper triangle above the diagonal lives in a, diagonal in `diagonal`).
    var x = [Double](repeating: 0, count: n)
    for k in stride(from: n - 1, through: 0, by: -1) {
        var s = b[k]
        for j in (k + 1)..<max(n, k + 1) { s -= a[k + j * m] * x[j] }
        x[k] = s / diagonal[k]
    }
    return x.allSatisfy(\.isFinite) ? x : nil
}
