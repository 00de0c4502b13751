import Dispatch

/// Batched projection and localisation: four points per `SIMD4<Double>` lane group, chunks of
/// `RPCModel.batchChunk` points spread over cores with `DispatchQueue.concurrentPerform`.
/// Projections equal the scalar API to rounding (same kernel); localisations use the same stopping
/// rule (re-projection error below the tolerance), so both are within it of the exact answer.
extension RPCModel {
    /// Points per Dispatch work item.
    public static let batchChunk = 8192

    /// What batched localisation does with a point that does not converge.
    public enum FailurePolicy: Sendable {
        /// Throw `localizationDidNotConverge` for the first such point in index order (after all
        /// points are processed; the outputs then hold NaN for the failed points).
        case throwError
        /// Write NaN for that point and go on.
        case nan
    }

    /// Projects points (lon, lat, h) -> (col, row).
    /// - Complexity: O(n), about 100 flops per point, parallel over cores.
    public func project(longitudes: [Double], latitudes: [Double], heights: [Double]) -> (columns: [Double], rows: [Double]) {
        precondition(longitudes.count == latitudes.count && latitudes.count == heights.count, "arrays of one length")
        let n = longitudes.count
        var rows: [Double] = []
        // Uninitialised outputs: every element is written by the kernel (saves a pass over memory).
        let cols = [Double](unsafeUninitializedCapacity: n) { u, uCount in
            rows = [Double](unsafeUninitializedCapacity: n) { v, vCount in
                longitudes.withUnsafeBufferPointer { x in
                    latitudes.withUnsafeBufferPointer { y in
                        heights.withUnsafeBufferPointer { z in
                            project(longitudes: x, latitudes: y, heights: z, columns: u, rows: v)
                        }
                    }
                }
                vCount = n
            }
            uCount = n
        }
        return (cols, rows)
    }

    /// Projects into caller-owned buffers (all of one length). The buffers must not overlap.
    public func project(
        longitudes: UnsafeBufferPointer<Double>, latitudes: UnsafeBufferPointer<Double>, heights: UnsafeBufferPointer<Double>,
        columns: UnsafeMutableBufferPointer<Double>, rows: UnsafeMutableBufferPointer<Double>
    ) {
        let n = longitudes.count
        precondition(latitudes.count == n && heights.count == n && columns.count == n && rows.count == n)
        guard n > 0 else { return }
        nonisolated(unsafe) let x = longitudes.baseAddress!, y = latitudes.baseAddress!, z = heights.baseAddress!
        nonisolated(unsafe) let u = columns.baseAddress!, v = rows.baseAddress!
        let map = projector
        RPCModel.forEachChunk(n) { range in
            map.coefficients.withUnsafeBufferPointer { cb in
                let c = cb.baseAddress!
                var i = range.lowerBound
                while i + 4 <= range.upperBound {
                    let p = map.evaluate(c, load4(x + i), load4(y + i), load4(z + i))
                    store4(p.u, u + i)
                    store4(p.v, v + i)
                    i += 4
                }
                while i < range.upperBound {
                    let p = map.evaluate(c, x[i], y[i], z[i])
                    u[i] = p.u
                    v[i] = p.v
                    i += 1
                }
            }
        }
    }

    /// Localises points (col, row, h) -> (lon, lat) with the same stopping rule as
    /// `localization(column:row:height:)` (re-projection error below `tolerance` px).
    public func localize(
        columns: [Double], rows: [Double], heights: [Double],
        tolerance: Double = RPCModel.localizationTolerance, onFailure: FailurePolicy = .throwError
    ) throws -> (longitudes: [Double], latitudes: [Double]) {
        precondition(columns.count == rows.count && rows.count == heights.count, "arrays of one length")
        let n = columns.count
        var lats: [Double] = []
        // Uninitialised outputs: every element is written (a value or NaN) before returning.
        let lons = try [Double](unsafeUninitializedCapacity: n) { u, uCount in
            lats = try [Double](unsafeUninitializedCapacity: n) { v, vCount in
                defer { vCount = n }
                try columns.withUnsafeBufferPointer { x in
                    try rows.withUnsafeBufferPointer { y in
                        try heights.withUnsafeBufferPointer { z in
                            try localize(columns: x, rows: y, heights: z, longitudes: u, latitudes: v,
                                         tolerance: tolerance, onFailure: onFailure)
                        }
                    }
                }
            }
            uCount = n
        }
        return (lons, lats)
    }

    /// Localises into caller-owned buffers (all of one length, not overlapping).
    /// - Complexity: O(n) with usually 1-2 Newton iterations per point, parallel over cores.
    public func localize(
        columns: UnsafeBufferPointer<Double>, rows: UnsafeBufferPointer<Double>, heights: UnsafeBufferPointer<Double>,
        longitudes: UnsafeMutableBufferPointer<Double>, latitudes: UnsafeMutableBufferPointer<Double>,
        tolerance: Double = RPCModel.localizationTolerance, onFailure: FailurePolicy = .throwError
    ) throws {
        let n = columns.count
        precondition(rows.count == n && heights.count == n && longitudes.count == n && latitudes.count == n)
        guard n > 0 else { return }
        nonisolated(unsafe) let x = columns.baseAddress!, y = rows.baseAddress!, z = heights.baseAddress!
        nonisolated(unsafe) let u = longitudes.baseAddress!, v = latitudes.baseAddress!
        let chunks = (n + RPCModel.batchChunk - 1) / RPCModel.batchChunk
        let firstError = ErrorSlot(count: chunks)
        RPCModel.forEachChunk(n) { range in
            var i = range.lowerBound
            while i + 4 <= range.upperBound {
                if !localize4(x + i, y + i, z + i, u + i, v + i, tolerance: tolerance) {
                    for k in i..<(i + 4) {
                        if let e = localizeOne(x[k], y[k], z[k], u + k, v + k, tolerance, onFailure) {
                            firstError.set(e, chunk: range.lowerBound / RPCModel.batchChunk)
                        }
                    }
                }
                i += 4
            }
            while i < range.upperBound {
                if let e = localizeOne(x[i], y[i], z[i], u + i, v + i, tolerance, onFailure) {
                    firstError.set(e, chunk: range.lowerBound / RPCModel.batchChunk)
                }
                i += 1
            }
        }
        if let e = firstError.first { throw e }
    }

    /// Scalar fallback; returns the error to throw, if any.
    private func localizeOne(
        _ col: Double, _ row: Double, _ h: Double, _ lon: UnsafeMutablePointer<Double>, _ lat: UnsafeMutablePointer<Double>,
        _ tolerance: Double, _ policy: FailurePolicy
    ) -> RPCError? {
        do {
            let g = try localization(column: col, row: row, height: h, tolerance: tolerance)
            lon.pointee = g.longitude
            lat.pointee = g.latitude
            return nil
        } catch let e as RPCError {
            lon.pointee = .nan
            lat.pointee = .nan
            return policy == .throwError ? e : nil
        } catch {
            return nil
        }
    }

    /// Four Newton localisations at once. Returns false when a lane did not converge (or its
    /// Jacobian was singular); the caller then redoes the four points with the scalar path.
    private func localize4(
        _ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>, _ z: UnsafePointer<Double>,
        _ u: UnsafeMutablePointer<Double>, _ v: UnsafeMutablePointer<Double>, tolerance: Double
    ) -> Bool {
        let col = load4(x), row = load4(y), h = load4(z)
        var lon: SIMD4<Double>, lat: SIMD4<Double>
        if let guess {
            (lon, lat) = guess.coefficients.withUnsafeBufferPointer { guess.evaluate($0.baseAddress!, col, row, h) }
        } else {
            lon = SIMD4(repeating: coefficients.longitudeOffset)
            lat = SIMD4(repeating: coefficients.latitudeOffset)
        }
        let tol2 = SIMD4<Double>(repeating: tolerance * tolerance)
        let ok: Bool = projector.coefficients.withUnsafeBufferPointer { cb in
            let c = cb.baseAddress!
            for _ in 0..<RPCModel.maxLocalizationIterations {
                let f = projector.evaluateWithGradient4(c, lon, lat, h)
                let dc = col - f.u, dr = row - f.v
                let e2 = dc * dc + dr * dr
                // NaN errors count as active, so that they reach the scalar path and its error.
                let active = .!(e2 .< tol2)
                if !any(active) { return true }
                let det = f.dudx * f.dvdy - f.dudy * f.dvdx
                // Converged lanes (and singular ones, caught below) do not move.
                let inv = SIMD4<Double>(repeating: 0).replacing(with: 1 / det, where: active)
                lon += (f.dvdy * dc - f.dudy * dr) * inv
                lat += (f.dudx * dr - f.dvdx * dc) * inv
                if any(.!(lon .== lon)) || any(.!(lat .== lat)) { return false }
            }
            return false
        }
        guard ok else { return false }
        store4(lon, u)
        store4(lat, v)
        return true
    }

    /// Runs `body` on chunks of `0..<n` over all cores.
    static func forEachChunk(_ n: Int, _ body: @Sendable (Range<Int>) -> Void) {
        let chunks = (n + batchChunk - 1) / batchChunk
        if chunks == 1 { body(0..<n); return }
        DispatchQueue.concurrentPerform(iterations: chunks) { k in
            body((k * batchChunk)..<min(n, (k + 1) * batchChunk))
        }
    }
}

/// The first error per chunk, written from Dispatch workers (each chunk writes only its slot).
private final class ErrorSlot: @unchecked Sendable {
    private var slots: [RPCError?]
    private let lock = SemaphoreLock()
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ e: RPCError, chunk: Int) {
        lock.withLock { if slots[chunk] == nil { slots[chunk] = e } }
    }
    var first: RPCError? { lock.withLock { slots.compactMap { $0 }.first } }
}

/// A tiny lock over a Dispatch semaphore (Foundation-free).
private final class SemaphoreLock: @unchecked Sendable {
    private let semaphore = DispatchSemaphore(value: 1)
    func withLock<T>(_ body: () -> T) -> T {
        semaphore.wait()
        defer { semaphore.signal() }
        return body()
    }
}

@inline(__always) func load4(_ p: UnsafePointer<Double>) -> SIMD4<Double> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Double>.self)
}

@inline(__always) func store4(_ value: SIMD4<Double>, _ p: UnsafeMutablePointer<Double>) {
    UnsafeMutableRawPointer(p).storeBytes(of: value, as: SIMD4<Double>.self)
}

extension RPCRationalMap {
    /// Value and ∂/∂x, ∂/∂y (un-normalised) for four points; the Newton step of batched
    /// localisation. Same formulas as `valueAndJacobian`.
    @inline(__always)
    func evaluateWithGradient4(_ c: UnsafePointer<Double>, _ x: SIMD4<Double>, _ y: SIMD4<Double>, _ z: SIMD4<Double>)
        -> (u: SIMD4<Double>, v: SIMD4<Double>, dudx: SIMD4<Double>, dudy: SIMD4<Double>, dvdx: SIMD4<Double>, dvdy: SIMD4<Double>)
    {
        typealias V = SIMD4<Double>
        let nx = (x - V(repeating: inputOffset.x)) * inverseInputScale.x
        let ny = (y - V(repeating: inputOffset.y)) * inverseInputScale.y
        let nz = (z - V(repeating: inputOffset.z)) * inverseInputScale.z
        let xx = nx * nx, yy = ny * ny, zz = nz * nz, xy = nx * ny, xz = nx * nz, yz = ny * nz
        func value(_ p: UnsafePointer<Double>) -> V {
            rpcPolynomial(p, nx, ny, nz, xx: xx, yy: yy, zz: zz, xy: xy, xz: xz, yz: yz)
        }
        func gradient(_ p: UnsafePointer<Double>) -> (V, V) {
            let dx1: V = V(repeating: p[1]) + p[4] * ny + p[5] * nz
            let dx2: V = (2 * p[7]) * nx + p[10] * yz + (3 * p[11]) * xx
            let dx3: V = p[12] * yy + p[13] * zz + (2 * p[14]) * xy
            let dx4: V = (2 * p[17]) * xz
            let dx: V = (dx1 + dx2) + (dx3 + dx4)
            let dy1: V = V(repeating: p[2]) + p[4] * nx + p[6] * nz
            let dy2: V = (2 * p[8]) * ny + p[10] * xz + (2 * p[12]) * xy
            let dy3: V = p[14] * xx + (3 * p[15]) * yy + p[16] * zz
            let dy4: V = (2 * p[18]) * yz
            let dy: V = (dy1 + dy2) + (dy3 + dy4)
            return (dx, dy)
        }
        let pu = value(c), qu = value(c + 20), pv = value(c + 40), qv = value(c + 60)
        let (pux, puy) = gradient(c), (qux, quy) = gradient(c + 20)
        let (pvx, pvy) = gradient(c + 40), (qvx, qvy) = gradient(c + 60)
        let iqu = 1 / qu, iqv = 1 / qv
        let su = outputScale.x * iqu * iqu, sv = outputScale.y * iqv * iqv
        let dudx = (pux * qu - pu * qux) * su * inverseInputScale.x
        let dudy = (puy * qu - pu * quy) * su * inverseInputScale.y
        let dvdx = (pvx * qv - pv * qvx) * sv * inverseInputScale.x
        let dvdy = (pvy * qv - pv * qvy) * sv * inverseInputScale.y
        return (outputOffset.x + outputScale.x * pu * iqu, outputOffset.y + outputScale.y * pv * iqv, dudx, dudy, dvdx, dvdy)
    }
}
