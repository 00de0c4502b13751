import Dispatch
import Raster

/// A disparity map and its confidence, both `Float`, NaN where invalid (never 0).
/// Convention: the left pixel (x, y) matches the right pixel (x - d, y).
public struct StereoMatchResult: Sendable {
    /// Disparity d in pixels (sub-pixel), NaN where no reliable match was found.
    public var disparity: ImageBuffer<Float>
    /// Confidence in [0, 1] from the ambiguity of the matching-cost curve (`ambiguityConfidence`);
    /// NaN on nodata pixels. Also defined where the disparity was rejected by a filter.
    public var confidence: ImageBuffer<Float>

    /// A result with every pixel invalid.
    static func allNaN(width: Int, height: Int) -> StereoMatchResult {
        let nan = [Float](repeating: .nan, count: width * height)
        return StereoMatchResult(disparity: ImageBuffer(width: width, height: height, pixels: nan),
                                 confidence: ImageBuffer(width: width, height: height, pixels: nan))
    }

    /// Writes the pixels of image window `core` from `tile`, the result matched on image window
    /// `window` (which contains `core`), into this result, whose pixel (0, 0) is image pixel
    /// `origin`: row by row, disparity and confidence.
    mutating func paste(_ tile: StereoMatchResult, window: Window, core: Window, origin: (x: Int, y: Int) = (0, 0)) {
        let width = disparity.width
        for y in core.y..<core.maxY {
            let source = (y - window.y) * window.width + (core.x - window.x)
            let target = (y - origin.y) * width + (core.x - origin.x)
            disparity.storage.replaceSubrange(target..<(target + core.width),
                                              with: tile.disparity.storage[source..<(source + core.width)])
            confidence.storage.replaceSubrange(target..<(target + core.width),
                                               with: tile.confidence.storage[source..<(source + core.width)])
        }
    }
}

/// Dense stereo matching of rectified pairs: census cost (Zabih & Woodfill 1994), semi-global
/// aggregation (Hirschmüller 2008), winner-takes-all with uniqueness, sub-pixel refinement,
/// left-right check, speckle removal, median filter, and a confidence map.
///
/// `match` works on one tile, its memory bounded by width x height x disparities (about 3 bytes
/// a cell); `matchTiled` cuts a larger pair into tiles that fit `parameters.memoryLimit`.
public enum StereoMatcher {
    /// Matches one tile. Nodata pixels (NaN, or equal to `nodata`) never match and get NaN.
    ///
    /// - Parameters:
    ///   - left, right: rectified images of one size (band 0 is used).
    ///   - disparities: the disparities searched, any sign and width; those that cannot land in
    ///     the image (|d| >= width) are dropped, and a range with none left gives all-NaN output.
    ///   - workspace: buffers to reuse from an earlier call (tile after tile); nil allocates.
    ///   With `parameters.search == .pyramid` the tile is matched coarse to fine (`matchPyramid`),
    ///   in fine tiles of its own.
    /// - Throws: `MatchingError` for mismatched or empty images, bad parameters, or a cost volume
    ///   over `parameters.memoryLimit`.
    /// - Complexity: O(W·H·D·paths) time, O(W·H·D) memory.
    public static func match(
        left: ImageBuffer<Float>, right: ImageBuffer<Float>, disparities: ClosedRange<Int>,
        parameters: StereoMatchingParameters = StereoMatchingParameters(), nodata: Float? = nil,
        workspace: MatchingWorkspace? = nil
    ) throws -> StereoMatchResult {
        if parameters.search == .pyramid {
            return try matchPyramid(left: left, right: right, disparities: disparities, parameters: parameters,
                                    nodata: nodata, workspace: workspace ?? MatchingWorkspace())
        }
        return try matchTile(left: left, right: right, disparities: disparities, parameters: parameters, nodata: nodata,
                      workspace: workspace, pipelined: true)
    }

    /// `match`, with the aggregation and decision pipelined (`sgmAggregatePipelined`, 3 bytes a
    /// cell, 2 with UInt8 sums where `narrowSumsExact` holds, as for the default parameters) or
    /// not (`sgmAggregate` then `decideDisparities`, 5 bytes a cell: the reference the tests
    /// compare the pipelined path with; same output).
    /// With `band`, each pixel searches only its own window of `band.width` disparities
    /// (`DisparityBand`, offsets relative to `disparities.lowerBound`); a range that is (after
    /// clipping to the image) no wider than the window, or parameters the banded kernels cannot
    /// take (`bandSupported`), is searched in full.
    static func matchTile(
        left: ImageBuffer<Float>, right: ImageBuffer<Float>, disparities: ClosedRange<Int>,
        parameters: StereoMatchingParameters, nodata: Float?, workspace: MatchingWorkspace?, pipelined: Bool,
        band: DisparityBand? = nil
    ) throws -> StereoMatchResult {
        try parameters.validate()
        try checkPair(left.width, left.height, right.width, right.height)
        let workspace = workspace ?? MatchingWorkspace()
        let (width, height) = (left.width, left.height)
        let leftPixels = maskedPixels(left, nodata: nodata)
        let rightPixels = maskedPixels(right, nodata: nodata)
        let lowest = max(disparities.lowerBound, -(width - 1)), highest = min(disparities.upperBound, width - 1)
        guard lowest <= highest else { return .allNaN(width: width, height: height) }
        let count = highest - lowest + 1
        guard count < Int(UInt16.max) else {
            throw MatchingError.invalidParameter(name: "disparity", reason: "\(count) disparities, at most 65534 per tile")
        }
        var band = band
        if let given = band {
            precondition(given.offsets.count == width * height, "one window offset per pixel")
            if count <= given.width || !bandSupported(parameters) {
                // Nothing to narrow, or parameters the banded kernels cannot take: full search.
                band = nil
            } else {
                // Offsets relative to the clipped range, each window inside it.
                let shift = disparities.lowerBound - lowest, last = count - given.width
                band = DisparityBand(width: given.width, offsets: given.offsets.map { Int32(min(max(Int($0) + shift, 0), last)) })
            }
        }
        let bytes = estimatedBytes(width: width, height: height, disparityCount: band?.width ?? count)
        guard bytes <= parameters.memoryLimit else { throw MatchingError.volumeTooLarge(bytes: bytes, limit: parameters.memoryLimit) }

        // The workspace's per-tile arrays, refilled in place and put back at the end (a buffer still
        // referenced elsewhere, such as a result's, is copied on write, never overwritten).
        var buffers = TileBuffers()
        swap(&buffers, &workspace.tile)
        defer { swap(&buffers, &workspace.tile) }

        // Census codes of both images and their validity masks, concurrently (each variable
        // written by one worker only).
        nonisolated(unsafe) var (leftCodes, rightCodes) = (buffers.leftCodes, buffers.rightCodes)
        nonisolated(unsafe) var (leftValid, rightValid) = (buffers.leftValid, buffers.rightValid)
        (buffers.leftCodes, buffers.rightCodes, buffers.leftValid, buffers.rightValid) = ([], [], [], [])
        DispatchQueue.concurrentPerform(iterations: 2) { side in
            let pixels = side == 0 ? leftPixels : rightPixels
            pixels.withUnsafeBufferPointer {
                if side == 0 {
                    censusTransform($0, width: width, height: height, rowStride: width, windowWidth: parameters.censusWidth,
                                    windowHeight: parameters.censusHeight, into: &leftCodes)
                    validityMask($0, into: &leftValid)
                } else {
                    censusTransform($0, width: width, height: height, rowStride: width, windowWidth: parameters.censusWidth,
                                    windowHeight: parameters.censusHeight, into: &rightCodes)
                    validityMask($0, into: &rightValid)
                }
            }
        }
        defer {
            (buffers.leftCodes, buffers.rightCodes, buffers.leftValid, buffers.rightValid) = (leftCodes, rightCodes, leftValid, rightValid)
        }
        guard leftValid.contains(true), rightValid.contains(true) else { return .allNaN(width: width, height: height) }

        let volume = workspace.costs
        volume.reshape(width: width, height: height, minDisparity: lowest, count: count, band: band)
        // The tile's robust intensity range (left image), mapped to 0..255 for both images: the
        // scale of the adaptive P2 and of the gradient cost.
        let needsScale = parameters.gradientWeight > 0 || parameters.p2GradientScale != nil
        let range: (low: Float, high: Float) = (needsScale ? robustRange(leftPixels) : nil) ?? (0, 255)
        let scale: Float = range.high > range.low ? 255 / (range.high - range.low) : 1
        var gradients: GradientCostInputs?
        if parameters.gradientWeight > 0 {
            gradients = GradientCostInputs(
                left: quantisedGradients(leftPixels, width: width, height: height, low: range.low, scale: scale),
                right: quantisedGradients(rightPixels, width: width, height: height, low: range.low, scale: scale),
                weight16: UInt16((parameters.gradientWeight * 16).rounded()), cap: UInt8(parameters.gradientCap))
        }
        // Confidence levels: Pandora's ambiguity integrates tolerances up to 0.7 of the cost range.
        var confidence = buffers.confidence
        buffers.confidence = []
        refill(&confidence, count: width * height, with: .nan)
        volume.fillCensusCosts(left: leftCodes, leftValid: leftValid, right: rightCodes, rightValid: rightValid,
                               maxCost: UInt8(parameters.censusBits), gradients: gradients, confidence: &confidence,
                               confidenceLevels: max(1, Int((0.7 * Float(parameters.maxCost)).rounded())))
        let intensity = parameters.p2GradientScale == nil ? [] : leftPixels.map { ($0 - range.low) * scale }
        var disparity: [Float]
        if pipelined {
            disparity = buffers.disparity
            buffers.disparity = []
            refill(&disparity, count: width * height, with: .nan)
            let decider = RowDecider(costs: volume, leftValid: leftValid, rightValid: rightValid, leftPixels: leftPixels,
                                     rightPixels: rightPixels, parameters: parameters, workers: 2)
            // UInt8 sums where they are exact and the C row decision reads them (the default).
            let narrow = decider.rowKernel
                && narrowSumsExact(paths: parameters.paths, maxCost: parameters.maxCost, p2: parameters.p2)
            let sums = workspace.reserveSums(width * height * volume.stride)
            disparity.withUnsafeMutableBufferPointer { out in
                nonisolated(unsafe) let out = out.baseAddress!
                sgmAggregatePipelined(volume, intensity: intensity, p1: parameters.p1, p2: parameters.p2,
                                      gradientScale: parameters.p2GradientScale, paths: parameters.paths,
                                      sums: UnsafeMutableRawPointer(sums), narrow: narrow) {
                    worker, y, forward, backward in
                    if narrow {
                        decider.decideNarrow(worker: worker, y: y, forward: forward.assumingMemoryBound(to: UInt8.self),
                                             backward: backward.assumingMemoryBound(to: UInt8.self), into: out)
                    } else {
                        decider.decide(worker: worker, y: y, forward: forward.assumingMemoryBound(to: UInt16.self),
                                       backward: backward.assumingMemoryBound(to: UInt16.self), into: out)
                    }
                }
            }
        } else {
            let aggregated = sgmAggregate(volume, intensity: intensity, p1: parameters.p1, p2: parameters.p2,
                                          gradientScale: parameters.p2GradientScale, paths: parameters.paths,
                                          into: workspace.aggregated)
            disparity = decideDisparities(aggregated: aggregated, costs: volume, leftValid: leftValid,
                                          rightValid: rightValid, leftPixels: leftPixels, rightPixels: rightPixels,
                                          parameters: parameters)
        }
        if parameters.speckleSize > 0 {
            removeSpeckles(&disparity, width: width, height: height, maximumSize: parameters.speckleSize,
                           maximumDifference: parameters.speckleRange, scratch: &buffers.speckle)
        }
        if parameters.medianFilter {
            // Filtered into the workspace's array, which becomes the result; the workspace keeps
            // the unfiltered one for the next tile.
            medianFilter3x3(disparity, width: width, height: height, into: &buffers.median)
            swap(&disparity, &buffers.median)
        }
        return StereoMatchResult(disparity: ImageBuffer(width: width, height: height, pixels: disparity),
                                 confidence: ImageBuffer(width: width, height: height, pixels: confidence))
    }

    /// Matches 16-bit imagery (Pléiades is 12-bit in UInt16): converted to Float, `nodata` to NaN.
    public static func match(
        left: ImageBuffer<UInt16>, right: ImageBuffer<UInt16>, disparities: ClosedRange<Int>,
        parameters: StereoMatchingParameters = StereoMatchingParameters(), nodata: UInt16? = nil,
        workspace: MatchingWorkspace? = nil
    ) throws -> StereoMatchResult {
        try checkPair(left.width, left.height, right.width, right.height)
        return try match(left: floatImage(left, nodata: nodata), right: floatImage(right, nodata: nodata),
                         disparities: disparities, parameters: parameters, workspace: workspace)
    }

    /// Bytes `match` allocates for a tile (cost volume, the half-sweep sums, census codes).
    public static func estimatedBytes(width: Int, height: Int, disparityCount: Int) -> Int {
        width * height * (CostVolume.stride(for: disparityCount) * 3 + 48)
    }

    static func checkPair(_ lw: Int, _ lh: Int, _ rw: Int, _ rh: Int) throws {
        guard lw == rw, lh == rh else { throw MatchingError.sizeMismatch(left: (lw, lh), right: (rw, rh)) }
        guard lw > 0, lh > 0 else { throw MatchingError.emptyImage(width: lw, height: lh) }
    }

    /// Band 0, packed, with `nodata` replaced by NaN: the image's own storage (no copy) when it is
    /// one packed band without `nodata` pixels.
    static func maskedPixels(_ image: ImageBuffer<Float>, nodata: Float?) -> [Float] {
        let packed = image.bandCount == 1 && image.rowStride == image.width && image.storage.count == image.width * image.height
        var pixels = packed ? image.storage : image.packedBand(0)
        if let nodata, !nodata.isNaN {
            for i in pixels.indices where pixels[i] == nodata { pixels[i] = .nan }
        }
        return pixels
    }

    /// Sets `mask` to one flag per pixel, true where the pixel is a number (not NaN).
    static func validityMask(_ pixels: UnsafeBufferPointer<Float>, into mask: inout [Bool]) {
        refill(&mask, count: pixels.count, with: false)
        mask.withUnsafeMutableBufferPointer { mask in
            for i in pixels.indices { mask[i] = !pixels[i].isNaN }
        }
    }

    static func floatImage(_ image: ImageBuffer<UInt16>, nodata: UInt16?) -> ImageBuffer<Float> {
        let pixels = image.packedBand(0).map { nodata == $0 ? Float.nan : Float($0) }
        return ImageBuffer(width: image.width, height: image.height, pixels: pixels)
    }
}

/// Parses "MIN:MAX" (e.g. "-32:32") into a disparity range.
/// - Throws: `MatchingError.invalidDisparityRange` when MIN > MAX, `.invalidParameter` when unreadable.
public func parseDisparityRange(_ text: String) throws -> ClosedRange<Int> {
    let parts = text.split(separator: ":", omittingEmptySubsequences: false)
    guard parts.count == 2, let lo = Int(parts[0]), let hi = Int(parts[1]) else {
        throw MatchingError.invalidParameter(name: "disparity", reason: "'\(text)' is not MIN:MAX (integers)")
    }
    guard lo <= hi else { throw MatchingError.invalidDisparityRange(minimum: lo, maximum: hi) }
    return lo...hi
}
