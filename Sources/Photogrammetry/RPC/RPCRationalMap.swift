/// A rational function map R³ -> R² in RPC00B form: each output is the ratio of two 20-term
/// cubic polynomials of the normalised inputs,
///
///     u = uOffset + uScale · Pu(x̂, ŷ, ẑ) / Qu(x̂, ŷ, ẑ),   x̂ = (x - xOffset) / xScale, ...
///
/// The ground-to-image model (x, y, z) = (lon, lat, h) -> (u, v) = (col, row) and the Pléiades
/// direct model (col, row, h) -> (lon, lat) are both such maps. This is the evaluation kernel;
/// `RPCModel` holds one or two of them.
public struct RPCRationalMap: Sendable, Equatable {
    /// 80 coefficients: u numerator, u denominator, v numerator, v denominator (20 each).
    public let coefficients: [Double]
    public let inputOffset: SIMD3<Double>
    public let inputScale: SIMD3<Double>
    public let outputOffset: SIMD2<Double>
    public let outputScale: SIMD2<Double>
    let inverseInputScale: SIMD3<Double>

    public init(
        uNumerator: [Double], uDenominator: [Double], vNumerator: [Double], vDenominator: [Double],
        inputOffset: SIMD3<Double>, inputScale: SIMD3<Double>,
        outputOffset: SIMD2<Double>, outputScale: SIMD2<Double>
    ) {
        precondition([uNumerator, uDenominator, vNumerator, vDenominator].allSatisfy { $0.count == 20 },
                     "an RPC00B polynomial has 20 coefficients")
        coefficients = uNumerator + uDenominator + vNumerator + vDenominator
        self.inputOffset = inputOffset
        self.inputScale = inputScale
        self.outputOffset = outputOffset
        self.outputScale = outputScale
        inverseInputScale = 1 / inputScale
    }

    /// Evaluates the map at one point.
    /// - Complexity: about 100 floating-point operations.
    @inline(__always)
    public func callAsFunction(_ x: Double, _ y: Double, _ z: Double) -> (u: Double, v: Double) {
        coefficients.withUnsafeBufferPointer { c in
            evaluate(c.baseAddress!, x, y, z)
        }
    }

    /// The kernel: normalise, evaluate the four polynomials sharing the monomials, denormalise.
    /// Works on `Double` (one point) and `SIMD4<Double>` (four points, one per lane).
    @inline(__always)
    func evaluate<V: RPCArithmetic>(_ c: UnsafePointer<Double>, _ x: V, _ y: V, _ z: V) -> (u: V, v: V) {
        let nx = (x - V.splat(inputOffset.x)) * V.splat(inverseInputScale.x)
        let ny = (y - V.splat(inputOffset.y)) * V.splat(inverseInputScale.y)
        let nz = (z - V.splat(inputOffset.z)) * V.splat(inverseInputScale.z)
        let xx = nx * nx, yy = ny * ny, zz = nz * nz
        let xy = nx * ny, xz = nx * nz, yz = ny * nz
        let pu = rpcPolynomial(c, nx, ny, nz, xx: xx, yy: yy, zz: zz, xy: xy, xz: xz, yz: yz)
        let qu = rpcPolynomial(c + 20, nx, ny, nz, xx: xx, yy: yy, zz: zz, xy: xy, xz: xz, yz: yz)
        let pv = rpcPolynomial(c + 40, nx, ny, nz, xx: xx, yy: yy, zz: zz, xy: xy, xz: xz, yz: yz)
        let qv = rpcPolynomial(c + 60, nx, ny, nz, xx: xx, yy: yy, zz: zz, xy: xy, xz: xz, yz: yz)
        let u = V.splat(outputOffset.x) + V.splat(outputScale.x) * (pu / qu)
        let v = V.splat(outputOffset.y) + V.splat(outputScale.y) * (pv / qv)
        return (u, v)
    }

    /// The value and the 2x3 Jacobian ∂(u, v)/∂(x, y, z) in un-normalised units, by the quotient
    /// rule on the analytic polynomial gradients.
    public func valueAndJacobian(_ x: Double, _ y: Double, _ z: Double)
        -> (u: Double, v: Double, du: SIMD3<Double>, dv: SIMD3<Double>)
    {
        coefficients.withUnsafeBufferPointer { cb in
            let c = cb.baseAddress!
            let n = (SIMD3(x, y, z) - inputOffset) * inverseInputScale
            let xx = n.x * n.x, yy = n.y * n.y, zz = n.z * n.z
            let xy = n.x * n.y, xz = n.x * n.z, yz = n.y * n.z
            func value(_ p: UnsafePointer<Double>) -> Double {
                rpcPolynomial(p, n.x, n.y, n.z, xx: xx, yy: yy, zz: zz, xy: xy, xz: xz, yz: yz)
            }
            func gradient(_ p: UnsafePointer<Double>) -> SIMD3<Double> {
                let g = rpcPolynomialGradient(p, n.x, n.y, n.z)
                return SIMD3(g.dx, g.dy, g.dz)
            }
            let pu = value(c), qu = value(c + 20), pv = value(c + 40), qv = value(c + 60)
            let dpu = gradient(c), dqu = gradient(c + 20), dpv = gradient(c + 40), dqv = gradient(c + 60)
            // d(p/q) = (dp q - p dq) / q², then chain rule through the normalisations.
            let du = (dpu * qu - pu * dqu) / (qu * qu) * inverseInputScale * outputScale.x
            let dv = (dpv * qv - pv * dqv) / (qv * qv) * inverseInputScale * outputScale.y
            return (outputOffset.x + outputScale.x * pu / qu, outputOffset.y + outputScale.y * pv / qv, du, dv)
        }
    }

    /// A copy whose output is shifted: u' = u - du, v' = v - dv.
    func shiftingOutput(by du: Double, _ dv: Double) -> RPCRationalMap {
        var m = self
        m.replaceOffsets(input: inputOffset, output: outputOffset - SIMD2(du, dv))
        return m
    }

    /// A copy whose input is shifted: the map of (x + dx, y + dy, z).
    func shiftingInput(by dx: Double, _ dy: Double) -> RPCRationalMap {
        var m = self
        m.replaceOffsets(input: inputOffset - SIMD3(dx, dy, 0), output: outputOffset)
        return m
    }

    /// A copy with other input normalisation (same polynomials).
    func withInputNormalisation(offset: SIMD3<Double>, scale: SIMD3<Double>) -> RPCRationalMap {
        RPCRationalMap(
            uNumerator: Array(coefficients[0..<20]), uDenominator: Array(coefficients[20..<40]),
            vNumerator: Array(coefficients[40..<60]), vDenominator: Array(coefficients[60..<80]),
            inputOffset: offset, inputScale: scale, outputOffset: outputOffset, outputScale: outputScale)
    }

    private mutating func replaceOffsets(input: SIMD3<Double>, output: SIMD2<Double>) {
        self = RPCRationalMap(
            uNumerator: Array(coefficients[0..<20]), uDenominator: Array(coefficients[20..<40]),
            vNumerator: Array(coefficients[40..<60]), vDenominator: Array(coefficients[60..<80]),
            inputOffset: input, inputScale: inputScale, outputOffset: output, outputScale: outputScale)
    }
}
