import Raster

extension StereoMatcher {
    /// Rows and columns of context added around each tile so that the aggregation paths and the
    /// filters see past the tile edge (SGM paths decay over a few tens of pixels).
    public static let tileMargin = 32

    /// Matches a pair of any size tile by tile, each tile within `parameters.memoryLimit`.
    /// A tile covering left columns [x0, x1) is matched on the window
    /// [x0 - max(dmax, 0) - margin, x1 - min(dmin, 0) + margin) of both images (same
    /// coordinates, so the convention x_right = x_left - d holds inside it), `margin` rows above
    /// and below; only the tile's own pixels are kept. Tiles run one after the other (each uses
    /// every core), so peak memory is one tile's.
    ///
    /// - Parameters:
    ///   - tileSize: the side of the kept square tiles; nil picks the largest multiple of 64 (or of 16
    ///     below 64) that fits.
    ///   - workspace: buffers reused by every tile (and by later calls); nil allocates one.
    /// - Throws: as `match`; `.volumeTooLarge` when even a 16-pixel tile does not fit.
    /// - Complexity: O(W·H·D·paths) time; memory bounded by the tile, not the image.
    public static func matchTiled(
        left: ImageBuffer<Float>, right: ImageBuffer<Float>, disparities: ClosedRange<Int>,
        parameters: StereoMatchingParameters = StereoMatchingParameters(), nodata: Float? = nil,
        tileSize: Int? = nil, workspace: MatchingWorkspace? = nil
    ) throws -> StereoMatchResult {
        let workspace = workspace ?? MatchingWorkspace()
        try parameters.validate()
        try checkPair(left.width, left.height, right.width, right.height)
        let (width, height) = (left.width, left.height)
        let count = disparities.count
        if tileSize == nil && estimatedBytes(width: width, height: height, disparityCount: count) <= parameters.memoryLimit {
            return try match(left: left, right: right, disparities: disparities, parameters: parameters, nodata: nodata,
                             workspace: workspace)
        }
        let margin = tileMargin
        let extraColumns = max(disparities.upperBound, 0) - min(disparities.lowerBound, 0) + 2 * margin
        var side = tileSize ?? 4096
        if tileSize == nil {
            while side > 16 && estimatedBytes(width: side + extraColumns, height: side + 2 * margin, disparityCount: count) > parameters.memoryLimit {
                side -= side > 64 ? 64 : 16
            }
        }
        guard side > 0 else { throw MatchingError.invalidParameter(name: "tileSize", reason: "\(side) must be > 0") }
        var result = StereoMatchResult(
            disparity: ImageBuffer(width: width, height: height, filledWith: .nan),
            confidence: ImageBuffer(width: width, height: height, filledWith: .nan))
        for y0 in stride(from: 0, to: height, by: side) {
            for x0 in stride(from: 0, to: width, by: side) {
                let x1 = min(x0 + side, width), y1 = min(y0 + side, height)
                let cx0 = max(0, x0 - max(disparities.upperBound, 0) - margin)
                let cx1 = min(width, x1 - min(disparities.lowerBound, 0) + margin)
                let cy0 = max(0, y0 - margin), cy1 = min(height, y1 + margin)
                let window = Window(x: cx0, y: cy0, width: cx1 - cx0, height: cy1 - cy0)
                let tile = try match(left: crop(left, window), right: crop(right, window),
                                     disparities: disparities, parameters: parameters, nodata: nodata, workspace: workspace)
                for y in y0..<y1 {
                    let source = (y - cy0) * window.width + (x0 - cx0), target = y * width + x0
                    result.disparity.storage.replaceSubrange(
                        target..<(target + x1 - x0), with: tile.disparity.storage[source..<(source + x1 - x0)])
                    result.confidence.storage.replaceSubrange(
                        target..<(target + x1 - x0), with: tile.confidence.storage[source..<(source + x1 - x0)])
                }
            }
        }
        return result
    }

    /// Band 0 of `image` inside `window`, packed (a specialised copy: `ImageBuffer.cropped` is
    /// generic across the module boundary and copies pixel by pixel through value witnesses).
    static func crop(_ image: ImageBuffer<Float>, _ window: Window) -> ImageBuffer<Float> {
        var pixels = [Float]()
        pixels.reserveCapacity(window.width * window.height)
        image.storage.withUnsafeBufferPointer { source in
            for y in window.y..<window.maxY {
                let start = y * image.rowStride + window.x
                pixels.append(contentsOf: source[start..<(start + window.width)])
            }
        }
        return ImageBuffer(width: window.width, height: window.height, pixels: pixels)
    }
}
