/// What `coarseInverseMap` did over one tile.
public struct InverseMapStatistics: Sendable, Equatable {
    /// Coarse cells in the tile.
    public var cells = 0
    /// Cells filled by bilinear interpolation of their corner nodes (the others are exact).
    public var interpolatedCells = 0
    /// Largest interpolation error (px, Euclidean) at the check points of interpolated cells.
    public var maxCheckedError = 0.0
    /// Exact ground-to-sensor evaluations made (nodes, check points, pixels of exact cells).
    public var exactEvaluations = 0

    public init() {}

    public mutating func merge(_ other: InverseMapStatistics) {
        cells += other.cells
        interpolatedCells += other.interpolatedCells
        maxCheckedError = max(maxCheckedError, other.maxCheckedError)
        exactEvaluations += other.exactEvaluations
    }
}

/// The inverse mapping (output pixel -> sensor position) of a `width` x `height` tile, computed
/// exactly on a coarse grid and interpolated in between where that is accurate.
///
/// Nodes sit every `step` pixels from (0, 0), plus the last row and column. Each cell between four
/// nodes is checked at five points, its centre and the midpoints of its four edges: where the
/// bilinear interpolation of the corner nodes is within `tolerance` pixels (Euclidean, sensor
/// pixels) of the exact value at all five, and every value is finite, the cell's pixels are
/// interpolated; otherwise each of its pixels is computed exactly. With smooth maps (a constant
/// height, or a DEM much coarser than the output) nearly every cell is interpolated; on a DSM at
/// the output resolution (heights change from pixel to pixel) nearly none is.
///
/// - Parameters:
///   - exact: the exact map of tile pixel positions (x, y) (0 = first pixel centre, fractional
///     positions allowed) to sensor (column, row), NaN where undefined; called a few times with
///     batches.
/// - Returns: sensor columns and rows of every pixel, row-major (`y * width + x`).
/// - Complexity: O(W·H) time; exact evaluations: (W/step + 1)(H/step + 1) nodes, 5 per cell
///   (shared edges counted twice), plus step² per rejected cell.
public func coarseInverseMap(
    width: Int, height: Int, step: Int, tolerance: Double,
    exact: ([Double], [Double]) throws -> (columns: [Double], rows: [Double])
) rethrows -> (columns: [Double], rows: [Double], statistics: InverseMapStatistics) {
    precondition(width > 0 && height > 0 && step >= 1, "coarseInverseMap: empty tile or step < 1")
    var stats = InverseMapStatistics()
    func positions(_ n: Int) -> [Int] {
        var p = Array(stride(from: 0, to: n, by: step))
        if p.last != n - 1 { p.append(n - 1) }
        return p
    }
    let nxs = positions(width), nys = positions(height)
    var columns = [Double](repeating: .nan, count: width * height)
    var rows = [Double](repeating: .nan, count: width * height)
    if nxs.count < 2 || nys.count < 2 || step == 1 {
        // A one-pixel-wide tile or step 1: everything exact.
        let xs = (0..<(width * height)).map { Double($0 % width) }, ys = (0..<(width * height)).map { Double($0 / width) }
        let e = try exact(xs, ys)
        stats.exactEvaluations = width * height
        return (e.columns, e.rows, stats)
    }
    // 1. Nodes.
    var qx: [Double] = [], qy: [Double] = []
    for y in nys { for x in nxs { qx.append(Double(x)); qy.append(Double(y)) } }
    let nodes = try exact(qx, qy)
    let ncx = nxs.count
    // 2. Check points of every cell: centre, top, bottom, left, right edge midpoints.
    let cellsX = nxs.count - 1, cellsY = nys.count - 1
    qx.removeAll(keepingCapacity: true); qy.removeAll(keepingCapacity: true)
    for b in 0..<cellsY {
        for a in 0..<cellsX {
            let x0 = Double(nxs[a]), x1 = Double(nxs[a + 1]), y0 = Double(nys[b]), y1 = Double(nys[b + 1])
            let xm = (x0 + x1) / 2, ym = (y0 + y1) / 2
            qx += [xm, xm, xm, x0, x1]
            qy += [ym, y0, y1, ym, ym]
        }
    }
    let checks = try exact(qx, qy)
    stats.exactEvaluations = nodes.columns.count + checks.columns.count
    stats.cells = cellsX * cellsY
    var exactPixelsX: [Double] = [], exactPixelsY: [Double] = []
    for b in 0..<cellsY {
        for a in 0..<cellsX {
            let i00 = b * ncx + a, i10 = i00 + 1, i01 = i00 + ncx, i11 = i01 + 1
            let c = SIMD4(nodes.columns[i00], nodes.columns[i10], nodes.columns[i01], nodes.columns[i11])
            let r = SIMD4(nodes.rows[i00], nodes.rows[i10], nodes.rows[i01], nodes.rows[i11])
            let x0 = nxs[a], x1 = nxs[a + 1], y0 = nys[b], y1 = nys[b + 1]
            let k = 5 * (b * cellsX + a)
            // Check-point weights (u, v) in the cell: centre, top, bottom, left, right.
            let uv: [(Double, Double)] = [(0.5, 0.5), (0.5, 0), (0.5, 1), (0, 0.5), (1, 0.5)]
            var worst = 0.0
            var ok = c.isFiniteAll && r.isFiniteAll
            if ok {
                for (m, (u, v)) in uv.enumerated() {
                    let ic = bilinear(c, u, v), ir = bilinear(r, u, v)
                    let dc = ic - checks.columns[k + m], dr = ir - checks.rows[k + m]
                    let e = (dc * dc + dr * dr).squareRoot()
                    if !(e <= tolerance) { ok = false; break }   // NaN fails too
                    worst = max(worst, e)
                }
            }
            // Pixels owned by this cell: [x0, x1) x [y0, y1), plus the last column / row.
            let xEnd = a == cellsX - 1 ? x1 + 1 : x1, yEnd = b == cellsY - 1 ? y1 + 1 : y1
            if ok {
                stats.interpolatedCells += 1
                stats.maxCheckedError = max(stats.maxCheckedError, worst)
                let sx = 1 / Double(x1 - x0), sy = 1 / Double(y1 - y0)
                for y in y0..<yEnd {
                    let v = Double(y - y0) * sy
                    // Interpolate along the row: left and right edge values, then linear in u.
                    let cl = c[0] + (c[2] - c[0]) * v, cr = c[1] + (c[3] - c[1]) * v
                    let rl = r[0] + (r[2] - r[0]) * v, rr = r[1] + (r[3] - r[1]) * v
                    for x in x0..<xEnd {
                        let u = Double(x - x0) * sx
                        columns[y * width + x] = cl + (cr - cl) * u
                        rows[y * width + x] = rl + (rr - rl) * u
                    }
                }
            } else {
                for y in y0..<yEnd { for x in x0..<xEnd { exactPixelsX.append(Double(x)); exactPixelsY.append(Double(y)) } }
            }
        }
    }
    if !exactPixelsX.isEmpty {
        let e = try exact(exactPixelsX, exactPixelsY)
        stats.exactEvaluations += exactPixelsX.count
        for k in exactPixelsX.indices {
            let i = Int(exactPixelsY[k]) * width + Int(exactPixelsX[k])
            columns[i] = e.columns[k]
            rows[i] = e.rows[k]
        }
    }
    return (columns, rows, stats)
}

/// Bilinear value of corner values (v00, v10, v01, v11) at (u, v) in [0, 1]².
@inline(__always)
func bilinear(_ q: SIMD4<Double>, _ u: Double, _ v: Double) -> Double {
    let top = q[0] + (q[1] - q[0]) * u, bottom = q[2] + (q[3] - q[2]) * u
    return top + (bottom - top) * v
}

extension SIMD4<Double> {
    var isFiniteAll: Bool { self[0].isFinite && self[1].isFinite && self[2].isFinite && self[3].isFinite }
}
