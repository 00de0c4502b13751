/// Arithmetic shared by `Double` and `SIMD4<Double>`, so that one generic kernel evaluates an RPC
/// polynomial for one point (scalar API) or four points at once (batched API, one point per lane).
/// Internal: specialised by the optimiser for both types.
protocol RPCArithmetic {
    static func + (a: Self, b: Self) -> Self
    static func - (a: Self, b: Self) -> Self
    static func * (a: Self, b: Self) -> Self
    static func / (a: Self, b: Self) -> Self
    static func splat(_ value: Double) -> Self
}

extension Double: RPCArithmetic {
    @inline(__always) static func splat(_ value: Double) -> Double { value }
}

extension SIMD4: RPCArithmetic where Scalar == Double {
    @inline(__always) static func splat(_ value: Double) -> SIMD4<Double> { SIMD4(repeating: value) }
}

/// Dot product of 20 coefficients (from `c[offset]`) with the 20 monomials, written out so the
/// optimiser keeps everything in registers.
@inline(__always)
func rpcPolynomial<V: RPCArithmetic>(
    _ c: UnsafePointer<Double>, _ x: V, _ y: V, _ z: V,
    xx: V, yy: V, zz: V, xy: V, xz: V, yz: V
) -> V {
    var s = V.splat(c[0]) + V.splat(c[1]) * x
    s = s + V.splat(c[2]) * y + V.splat(c[3]) * z
    s = s + V.splat(c[4]) * xy + V.splat(c[5]) * xz
    s = s + V.splat(c[6]) * yz + V.splat(c[7]) * xx
    s = s + V.splat(c[8]) * yy + V.splat(c[9]) * zz
    let xyz = xy * z
    s = s + V.splat(c[10]) * xyz + V.splat(c[11]) * (xx * x)
    s = s + V.splat(c[12]) * (x * yy) + V.splat(c[13]) * (x * zz)
    s = s + V.splat(c[14]) * (xx * y) + V.splat(c[15]) * (yy * y)
    s = s + V.splat(c[16]) * (y * zz) + V.splat(c[17]) * (xx * z)
    s = s + V.splat(c[18]) * (yy * z) + V.splat(c[19]) * (zz * z)
    return s
}

/// Partial derivatives of the 20-term polynomial with respect to x, y and z.
@inline(__always)
func rpcPolynomialGradient(_ c: UnsafePointer<Double>, _ x: Double, _ y: Double, _ z: Double)
    -> (dx: Double, dy: Double, dz: Double)
{
    let xx = x * x, yy = y * y, zz = z * z, xy = x * y, xz = x * z, yz = y * z
    var dx = c[1] + c[4] * y + c[5] * z + 2 * c[7] * x + c[10] * yz
    dx += 3 * c[11] * xx + c[12] * yy + c[13] * zz + 2 * c[14] * xy + 2 * c[17] * xz
    var dy = c[2] + c[4] * x + c[6] * z + 2 * c[8] * y + c[10] * xz
    dy += 2 * c[12] * xy + c[14] * xx + 3 * c[15] * yy + c[16] * zz + 2 * c[18] * yz
    var dz = c[3] + c[5] * x + c[6] * y + 2 * c[9] * z + c[10] * xy
    dz += 2 * c[13] * xz + 2 * c[16] * yz + c[17] * xx + c[18] * yy + 3 * c[19] * zz
    return (dx, dy, dz)
}
