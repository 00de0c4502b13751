// The optional second matching cost: absolute difference of horizontal intensity gradients,
// blended into the census cost (as in many census + gradient SGM variants, e.g. Mei et al.,
// "On building an accurate stereo matching system on graphics hardware", ICCV workshops 2011,
// who blend census with absolute differences). It adds a continuous, intensity-scaled term that
// census, a purely ordinal measure, lacks.

/// Horizontal gradients of a tile quantised to bytes: `128 + (I(x+1) - I(x-1)) / 2` (one-sided at
/// the row ends), clamped to 0...255, with intensities `(value - low) * scale` (the tile's robust
/// range mapped to 0..255; the same mapping must be used for both images). NaN pixels and
/// neighbours give 128 (no gradient); such pixels do not match anyway.
/// - Complexity: O(W·H).
func quantisedGradients(_ pixels: [Float], width: Int, height: Int, low: Float, scale: Float) -> [UInt8] {
    var out = [UInt8](repeating: 128, count: width * height)
    guard width > 1 else { return out }
    for y in 0..<height {
        for x in 0..<width {
            let a = pixels[y * width + max(x - 1, 0)], b = pixels[y * width + min(x + 1, width - 1)]
            let span = Float(min(x + 1, width - 1) - max(x - 1, 0))
            let g = (b - a) * scale / span
            guard !g.isNaN else { continue }
            out[y * width + x] = UInt8(min(max(128 + g.rounded(), 0), 255))
        }
    }
    return out
}

/// Adds the gradient term to one row of census costs: cell (x, i) gets
/// `min(|g_left(x) - g_right(x - d)| * weight16 / 16, cap)` (d = minDisparity + i), or `cap` when
/// either pixel is invalid or x - d is outside the row, so costs stay within `censusBits + cap`.
///
/// SIMD kernel: the right row's gradients reversed (as in `censusCostRow`), 16 disparities per
/// step in `SIMD16<UInt8>` / `SIMD16<UInt16>` (absolute difference, scale, cap, add). Plain version:
/// `gradientCostRowReference`.
///
/// - Parameters:
///   - scratch: caller-owned, at least `2 * (width + stride + 16)` bytes.
/// - Precondition: `weight16 <= 255`, `cap <= 255`, and the sums fit a byte (checked by
///   `StereoMatchingParameters.validate`).
/// - Complexity: O(W·D).
func gradientCostRow(
    leftGradients: UnsafePointer<UInt8>, leftValid: UnsafePointer<Bool>,
    rightGradients: UnsafePointer<UInt8>, rightValid: UnsafePointer<Bool>,
    width: Int, minDisparity: Int, count: Int, stride: Int, weight16: UInt16, cap: UInt8,
    scratch: UnsafeMutablePointer<UInt8>, out: UnsafeMutablePointer<UInt8>
) {
    precondition(stride % 16 == 0 && stride >= count)
    let extended = width + stride + 16
    let gradients = scratch, masks = scratch + extended
    for k in 0..<extended {
        let xr = width - 1 - k - minDisparity
        let valid = xr >= 0 && xr < width && rightValid[xr]
        gradients[k] = valid ? rightGradients[xr] : 0
        masks[k] = valid ? 0xFF : 0
    }
    let g = UnsafeRawPointer(gradients), m = UnsafeRawPointer(masks)
    let weight = SIMD16<UInt16>(repeating: weight16)
    let capWide = SIMD16<UInt16>(repeating: UInt16(cap))
    let capBytes = SIMD16<UInt8>(repeating: cap)
    for x in 0..<width {
        let row = UnsafeMutableRawPointer(out + x * stride)
        guard leftValid[x] else {
            var i = 0
            while i < stride {
                let c = row.loadUnaligned(fromByteOffset: i, as: SIMD16<UInt8>.self)
                row.storeBytes(of: c &+ capBytes, toByteOffset: i, as: SIMD16<UInt8>.self)
                i += 16
            }
            continue
        }
        let left = SIMD16<UInt8>(repeating: leftGradients[x])
        let k0 = width - 1 - x
        var i = 0
        while i < stride {
            let right = g.loadUnaligned(fromByteOffset: k0 + i, as: SIMD16<UInt8>.self)
            let valid = m.loadUnaligned(fromByteOffset: k0 + i, as: SIMD16<UInt8>.self)
            let difference = lanewiseMax(left, right) &- lanewiseMin(left, right)
            let scaled = lanewiseMin((widen(difference) &* weight) &>> 4, capWide)
            var term = narrow(scaled)
            term.replace(with: capBytes, where: valid .== SIMD16<UInt8>(repeating: 0))
            let c = row.loadUnaligned(fromByteOffset: i, as: SIMD16<UInt8>.self)
            row.storeBytes(of: c &+ term, toByteOffset: i, as: SIMD16<UInt8>.self)
            i += 16
        }
    }
}

/// Plain version of `gradientCostRow` for cells `0..<count` (same values).
/// - Complexity: O(W·D).
func gradientCostRowReference(
    leftGradients: UnsafePointer<UInt8>, leftValid: UnsafePointer<Bool>,
    rightGradients: UnsafePointer<UInt8>, rightValid: UnsafePointer<Bool>,
    width: Int, minDisparity: Int, count: Int, stride: Int, weight16: UInt16, cap: UInt8,
    out: UnsafeMutablePointer<UInt8>
) {
    for x in 0..<width {
        for i in 0..<count {
            let xr = x - (minDisparity + i)
            var term = Int(cap)
            if xr >= 0 && xr < width && leftValid[x] && rightValid[xr] {
                term = min((abs(Int(leftGradients[x]) - Int(rightGradients[xr])) * Int(weight16)) >> 4, Int(cap))
            }
            out[x * stride + i] = UInt8(Int(out[x * stride + i]) + term)
        }
    }
}

@inline(__always)
func lanewiseMax(_ a: SIMD16<UInt8>, _ b: SIMD16<UInt8>) -> SIMD16<UInt8> {
    a.replacing(with: b, where: b .> a)
}

/// Truncates 16 UInt16 lanes to bytes, lane by lane (see `widen`).
@inline(__always)
func narrow(_ v: SIMD16<UInt16>) -> SIMD16<UInt8> {
    var r = SIMD16<UInt8>()
    for i in 0..<16 { r[i] = UInt8(truncatingIfNeeded: v[i]) }
    return r
}
