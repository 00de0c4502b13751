import Dispatch
import Raster

/// Coarse-to-fine disparity search (`DisparitySearch.pyramid`), after tSGM (Rothermel, Wenzel,
/// Fritsch & Haala 2012, "SURE: photogrammetric surface reconstruction from imagery"): match the
/// pair at half resolution over the halved range, then let each full-resolution pixel search only
/// the disparities its coarse neighbourhood predicts.
///
/// Layout: per-pixel windows (`DisparityBand`, `BandedSearch.swift`) of `pyramidBandWidth`
/// disparities, the fine level matched by `matchTiled(..., band:)` in tiles that fit the memory
/// budget. Where the banded kernels cannot run (`bandSupported`: the gradient cost, or
/// `maxCost + p1 + 2 p2 > 255`), one window per fine tile (`pyramidTileSide` kept pixels a
/// side) instead: the min..max of twice the coarse disparities over the tile and
/// `pyramidNeighbourhood` coarse pixels around it, widened by `pyramidSlack` and rounded up to the
/// cost volume's 16-disparity stride, matched by the unchanged full-search kernels on a crop whose
/// right image is shifted by the window's lowest disparity.
extension StereoMatcher {
    /// Ranges narrower than this are searched in full: the fine windows are 16 disparities at
    /// least and 32-48 typically (spread, slack, rounding), so a narrower range gains too little to
    /// pay for a coarse level (measured: 64 instead of 24 saves the pair's and Cones' last coarse
    /// level, whose windows were the whole 33-disparity range, at equal accuracy).
    public static let pyramidMinimumRange = 64
    /// Images with a side under this many pixels are searched in full (a coarse level of under 32
    /// pixels holds too little context for SGM).
    public static let pyramidMinimumSide = 64
    /// Below `pyramidMinimumSide`, a range too wide for the full search's smallest tile still
    /// goes coarse to fine while the image keeps this many pixels a side.
    static let pyramidFloorSide = 12

    /// Whether the full search of a `width` x `height` pair over `range` fits `memoryLimit` in
    /// `matchTiled`'s smallest tile (16 pixels and the margins, and the columns the range reaches).
    static func fullSearchFits(width: Int, height: Int, range: ClosedRange<Int>, memoryLimit: Int) -> Bool {
        let rows = min(height, 16 + 2 * tileMargin)
        let columns = min(width, 16 + max(range.upperBound, 0) - min(range.lowerBound, 0) + 2 * tileMargin)
        return estimatedBytes(width: columns, height: rows, disparityCount: range.count) <= memoryLimit
    }

    /// Kept side of the fine-level tiles (each has its own window). Measured on Cones and the
    /// 2000x2000 pair (CPU time, loaded machine): 512 about 10 % below 256 and 25 % below 128;
    /// smaller tiles narrow the windows but add more context pixels, whose per-pixel work
    /// (census, refinement, filters) outweighs the SGM cells saved.
    static let pyramidTileSide = 512
    /// Context rows and columns around each fine tile (the coarse level already fixed the range,
    /// so the paths need less context than `tileMargin`).
    static let pyramidMargin = 16
    /// Fine disparities added to each side of the predicted window: the coarse winners are
    /// integers at half resolution (±1 coarse = ±2 fine), plus one for the median filter's halves.
    static let pyramidSlack = 3
    /// Coarse pixels around the tile whose disparities shape its window.
    static let pyramidNeighbourhood = 2

    /// `matchTiled` / `match` with `parameters.search == .pyramid`; `tileSide` (kept side of the
    /// fine tiles when they have one window each, at least 16) is there for the tests' seams.
    /// - Complexity: O(W·H·w·paths) time at full resolution, w the window width (32 per pixel, or
    ///   the tiles' windows), plus the coarse levels (1/8 of a full search each at most); memory
    ///   one fine tile's cost volume (within `parameters.memoryLimit`).
    static func matchPyramid(
        left: ImageBuffer<Float>, right: ImageBuffer<Float>, disparities: ClosedRange<Int>,
        parameters: StereoMatchingParameters, nodata: Float?, workspace: MatchingWorkspace,
        tileSide: Int = pyramidTileSide
    ) throws -> StereoMatchResult {
        try parameters.validate()
        try checkPair(left.width, left.height, right.width, right.height)
        var full = parameters
        full.search = .full
        let (width, height) = (left.width, left.height)
        let lowest = max(disparities.lowerBound, -(width - 1)), highest = min(disparities.upperBound, width - 1)
        guard lowest <= highest else { return .allNaN(width: width, height: height) }
        // A small image is searched in full, unless even the full search's smallest tile would
        // not fit the budget (a very wide range): then coarser levels while they keep some rows.
        let small = min(width, height) < pyramidMinimumSide
        if highest - lowest + 1 < pyramidMinimumRange
            || (small && (fullSearchFits(width: width, height: height, range: lowest...highest, memoryLimit: parameters.memoryLimit)
                          || min(width, height) < pyramidFloorSide)) {
            return try matchTiled(left: left, right: right, disparities: lowest...highest, parameters: full,
                                  nodata: nodata, workspace: workspace)
        }
        let leftPixels = maskedPixels(left, nodata: nodata), rightPixels = maskedPixels(right, nodata: nodata)
        let coarseWidth = (width + 1) / 2, coarseHeight = (height + 1) / 2
        var coarseParameters = parameters  // still .pyramid: recurses while the rules above allow
        coarseParameters.subpixel = .none
        coarseParameters.speckleSize = parameters.speckleSize / 4
        let coarseRange = floorDivide(lowest, 2)...(-floorDivide(-highest, 2))
        let coarse = try matchTiled(
            left: ImageBuffer(width: coarseWidth, height: coarseHeight,
                              pixels: halfResolution(leftPixels, width: width, height: height)),
            right: ImageBuffer(width: coarseWidth, height: coarseHeight,
                               pixels: halfResolution(rightPixels, width: width, height: height)),
            disparities: coarseRange, parameters: coarseParameters, nodata: nil, workspace: workspace)

        if bandSupported(parameters) {
            // Per-pixel windows (`BandedSearch.swift`).
            let band = DisparityBand(width: pyramidBandWidth,
                                     offsets: bandOffsets(coarse: coarse.disparity, width: width, height: height,
                                                          range: lowest...highest, bandWidth: pyramidBandWidth))
            // The band 0 pixels with nodata already NaN (masked once above, not again per tile).
            return try matchTiled(left: ImageBuffer(width: width, height: height, pixels: leftPixels),
                                  right: ImageBuffer(width: width, height: height, pixels: rightPixels),
                                  disparities: lowest...highest, parameters: full, nodata: nil, tileSize: nil,
                                  workspace: workspace, band: band)
        }

        var result = StereoMatchResult.allNaN(width: width, height: height)
        let side = max(16, tileSide)
        for y0 in stride(from: 0, to: height, by: side) {
            for x0 in stride(from: 0, to: width, by: side) {
                let x1 = min(x0 + side, width), y1 = min(y0 + side, height)
                let window = predictedWindow(coarse.disparity, tile: (x0, x1, y0, y1), range: lowest...highest)
                try matchWindow(leftPixels, rightPixels, width: width, height: height, tile: (x0, x1, y0, y1),
                                window: window, parameters: full, workspace: workspace, into: &result)
            }
        }
        return result
    }

    /// The disparities the fine tile [x0, x1) x [y0, y1) searches: twice the min..max of the valid
    /// coarse disparities over the tile and `pyramidNeighbourhood` coarse pixels around it, widened
    /// by `pyramidSlack` and to a multiple of 16 disparities, inside `range`. The whole `range`
    /// when no coarse disparity there is valid.
    /// - Complexity: O(tile area / 4).
    static func predictedWindow(_ coarse: ImageBuffer<Float>, tile: (x0: Int, x1: Int, y0: Int, y1: Int),
                                range: ClosedRange<Int>) -> ClosedRange<Int> {
        let k = pyramidNeighbourhood
        let cx0 = max(0, tile.x0 / 2 - k), cx1 = min(coarse.width - 1, (tile.x1 - 1) / 2 + k)
        let cy0 = max(0, tile.y0 / 2 - k), cy1 = min(coarse.height - 1, (tile.y1 - 1) / 2 + k)
        var low = Float.infinity, high = -Float.infinity
        coarse.storage.withUnsafeBufferPointer { d in
            for y in cy0...cy1 {
                for x in cx0...cx1 {
                    let v = d[y * coarse.rowStride + x]
                    if v < low { low = v }  // NaN compares false: skipped
                    if v > high { high = v }
                }
            }
        }
        guard low <= high else { return range }
        var lo = 2 * Int(low.rounded(.down)) - pyramidSlack, hi = 2 * Int(high.rounded(.up)) + pyramidSlack
        let padded = (hi - lo + 1 + 15) / 16 * 16
        lo -= (padded - (hi - lo + 1)) / 2
        hi = lo + padded - 1
        if lo < range.lowerBound { hi += range.lowerBound - lo; lo = range.lowerBound }
        if hi > range.upperBound { lo -= hi - range.upperBound; hi = range.upperBound }
        return max(lo, range.lowerBound)...hi
    }

    /// Matches the fine tile over `window` and writes its kept pixels into `result`. The left crop
    /// spans the tile, `pyramidMargin` around it and the window's spread to its left (NaN left of
    /// the image); the right
    /// crop is the same columns shifted by `window.lowerBound` (NaN outside the image), so that
    /// disparity d of the pair is d - lowerBound of the crops.
    static func matchWindow(_ left: [Float], _ right: [Float], width: Int, height: Int,
                            tile: (x0: Int, x1: Int, y0: Int, y1: Int), window: ClosedRange<Int>,
                            parameters: StereoMatchingParameters, workspace: MatchingWorkspace,
                            into result: inout StereoMatchResult) throws {
        let shift = window.lowerBound, spread = window.upperBound - window.lowerBound
        let margin = pyramidMargin
        // Kept pixels need the crop to reach `spread` columns left of the tile (and the margin);
        // left columns below 0 are NaN, but with a negative window their right columns exist.
        let a = max(tile.x0 - max(margin, spread), min(0, shift)), b = min(width, tile.x1 + margin)
        let cy0 = max(0, tile.y0 - margin), cy1 = min(height, tile.y1 + margin)
        let w = b - a, h = cy1 - cy0
        var leftCrop = [Float](repeating: .nan, count: w * h), rightCrop = leftCrop
        let r0 = max(0, a - shift), r1 = min(width, b - shift)  // right columns inside the image
        for y in cy0..<cy1 {
            let row = (y - cy0) * w
            for x in max(a, 0)..<b { leftCrop[row + x - a] = left[y * width + x] }
            if r0 < r1 { for x in r0..<r1 { rightCrop[row + x + shift - a] = right[y * width + x] } }
        }
        let (leftImage, rightImage) = (ImageBuffer(width: w, height: h, pixels: leftCrop),
                                       ImageBuffer(width: w, height: h, pixels: rightCrop))
        // A wide window (the whole range where the coarse level found nothing) may not fit the
        // memory budget in one piece: the tiled driver splits it then (one piece when it fits).
        let tileResult = try matchTiled(left: leftImage, right: rightImage, disparities: 0...spread,
                                        parameters: parameters, workspace: workspace)
        let offset = Float(shift)
        for y in tile.y0..<tile.y1 {
            let source = (y - cy0) * w - a, target = y * width
            for x in tile.x0..<tile.x1 {
                result.disparity.storage[target + x] = tileResult.disparity.storage[source + x] + offset
                result.confidence.storage[target + x] = tileResult.confidence.storage[source + x]
            }
        }
    }
}

/// The image at half resolution: each output pixel the mean of the valid (non-NaN) pixels of its
/// 2x2 block (fewer at an odd last row or column), NaN when none is valid. Pixel (i, j) covers
/// full-resolution (2i, 2j)...(2i+1, 2j+1), so disparities halve exactly. Rows split over the cores.
/// - Complexity: O(W·H).
func halfResolution(_ pixels: [Float], width: Int, height: Int) -> [Float] {
    let outWidth = (width + 1) / 2, outHeight = (height + 1) / 2
    // Every entry is written below (uninitialised: the fresh pages are touched by the workers).
    var out = [Float](unsafeUninitializedCapacity: outWidth * outHeight) { $1 = outWidth * outHeight }
    pixels.withUnsafeBufferPointer { p in
        out.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let (p, out) = (p.baseAddress!, out.baseAddress!)
            concurrentRows(outHeight) { j in
                let target = out + j * outWidth
                /// The mean of the valid pixels of block (i, j), summed in scan order.
                func block(_ i: Int) -> Float {
                    var sum: Float = 0, n: Float = 0
                    for y in (2 * j)..<min(2 * j + 2, height) {
                        for x in (2 * i)..<min(2 * i + 2, width) {
                            let v = p[y * width + x]
                            if !v.isNaN { sum += v; n += 1 }
                        }
                    }
                    return n > 0 ? sum / n : .nan
                }
                guard 2 * j + 1 < height else {
                    for i in 0..<outWidth { target[i] = block(i) }
                    return
                }
                let (r0, r1) = (p + 2 * j * width, p + (2 * j + 1) * width)
                for i in 0..<(width / 2) {
                    let (a, b, c, d) = (r0[2 * i], r0[2 * i + 1], r1[2 * i], r1[2 * i + 1])
                    // Whole valid blocks: the same sums as `block` (from 0, in scan order).
                    target[i] = a.isNaN || b.isNaN || c.isNaN || d.isNaN ? block(i) : (((0 + a) + b) + c + d) / 4
                }
                if outWidth > width / 2 { target[outWidth - 1] = block(outWidth - 1) }
            }
        }
    }
    return out
}

/// Integer division rounding towards minus infinity.
func floorDivide(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }
