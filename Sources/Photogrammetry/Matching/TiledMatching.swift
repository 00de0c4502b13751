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
    ///   - tileSize: the side of the kept square tiles; nil picks the tile shape that fits with the
    ///     least computed area (`tileShape`: full-width strips when they fit, which recompute no
    ///     columns). Unused with `parameters.search == .pyramid`, which picks its own fine tiles.
    ///   - workspace: buffers reused by every tile (and by later calls); nil allocates one.
    /// - Throws: as `match`; `.volumeTooLarge` when even a 16-pixel tile does not fit.
    /// - Complexity: O(W·H·D·paths) time; memory bounded by the tile, not the image.
    public static func matchTiled(
        left: ImageBuffer<Float>, right: ImageBuffer<Float>, disparities: ClosedRange<Int>,
        parameters: StereoMatchingParameters = StereoMatchingParameters(), nodata: Float? = nil,
        tileSize: Int? = nil, workspace: MatchingWorkspace? = nil
    ) throws -> StereoMatchResult {
        try matchTiled(left: left, right: right, disparities: disparities, parameters: parameters, nodata: nodata,
                       tileSize: tileSize, workspace: workspace, band: nil)
    }

    /// `matchTiled`; with `band` (per-pixel windows over `disparities`, `parameters.search` ignored)
    /// every tile is matched by `matchTile` on its crop of the band.
    static func matchTiled(
        left: ImageBuffer<Float>, right: ImageBuffer<Float>, disparities: ClosedRange<Int>,
        parameters: StereoMatchingParameters, nodata: Float?, tileSize: Int?, workspace: MatchingWorkspace?,
        band: DisparityBand?
    ) throws -> StereoMatchResult {
        let workspace = workspace ?? MatchingWorkspace()
        try parameters.validate()
        try checkPair(left.width, left.height, right.width, right.height)
        if parameters.search == .pyramid && band == nil {
            return try matchPyramid(left: left, right: right, disparities: disparities, parameters: parameters,
                                    nodata: nodata, workspace: workspace)
        }
        let (width, height) = (left.width, left.height)
        let count = band?.width ?? disparities.count
        func matchOne(_ left: ImageBuffer<Float>, _ right: ImageBuffer<Float>, _ band: DisparityBand?) throws -> StereoMatchResult {
            guard let band else {
                return try match(left: left, right: right, disparities: disparities, parameters: parameters, nodata: nodata,
                                 workspace: workspace)
            }
            return try matchTile(left: left, right: right, disparities: disparities, parameters: parameters, nodata: nodata,
                                 workspace: workspace, pipelined: true, band: band)
        }
        guard let plan = try tilePlan(width: width, height: height, disparities: disparities, count: count,
                                      memoryLimit: parameters.memoryLimit, tileSize: tileSize) else {
            return try matchOne(left, right, band)
        }
        var result = StereoMatchResult.allNaN(width: width, height: height)
        // The crops' pixels, reused tile after tile (no allocation once the first tile is cut).
        var leftCrop: [Float] = [], rightCrop: [Float] = []
        for (core, window) in plan {
            let leftTile = crop(left, window, into: &leftCrop), rightTile = crop(right, window, into: &rightCrop)
            var tileBand: DisparityBand?
            if let band {
                var offsets = [Int32]()
                offsets.reserveCapacity(window.width * window.height)
                for y in window.y..<window.maxY {
                    offsets.append(contentsOf: band.offsets[(y * width + window.x)..<(y * width + window.maxX)])
                }
                tileBand = DisparityBand(width: band.width, offsets: offsets)
            }
            let tile = try matchOne(leftTile, rightTile, tileBand)
            (leftCrop, rightCrop) = (leftTile.storage, rightTile.storage)
            result.paste(tile, window: window, core: core)
            // Unique again once `tile` is gone: the next tile's result is written into them.
            (workspace.tile.disparity, workspace.tile.confidence) = (tile.disparity.storage, tile.confidence.storage)
        }
        return result
    }

    /// The tiles `matchTiled` matches a `width` x `height` pair in: each tile's kept pixels
    /// (`core`) and the window it is matched on (`crop`: the core, `tileMargin` rows above and
    /// below, and the columns its disparities reach plus the margin, inside the image), row by
    /// row. Nil when the whole pair is one tile (no `tileSize` and its volumes fit `memoryLimit`).
    /// `count`: the disparities each pixel searches; `margin`: the context rows and columns.
    /// - Throws: `.invalidParameter` for a `tileSize` below 1.
    static func tilePlan(width: Int, height: Int, disparities: ClosedRange<Int>, count: Int, memoryLimit: Int,
                         tileSize: Int?, margin: Int = tileMargin) throws -> [(core: Window, crop: Window)]? {
        if tileSize == nil && estimatedBytes(width: width, height: height, disparityCount: count) <= memoryLimit {
            return nil
        }
        var (tileWidth, tileHeight) = (tileSize ?? 16, tileSize ?? 16)
        if tileSize == nil, let shape = tileShape(width: width, height: height, disparities: disparities,
                                                  memoryLimit: memoryLimit, count: count) {
            (tileWidth, tileHeight) = shape
        }
        let side = min(tileWidth, tileHeight)
        guard side > 0 else { throw MatchingError.invalidParameter(name: "tileSize", reason: "\(side) must be > 0") }
        var plan: [(core: Window, crop: Window)] = []
        for y0 in stride(from: 0, to: height, by: tileHeight) {
            for x0 in stride(from: 0, to: width, by: tileWidth) {
                let x1 = min(x0 + tileWidth, width), y1 = min(y0 + tileHeight, height)
                let cx0 = max(0, x0 - max(disparities.upperBound, 0) - margin)
                let cx1 = min(width, x1 - min(disparities.lowerBound, 0) + margin)
                let cy0 = max(0, y0 - margin), cy1 = min(height, y1 + margin)
                plan.append((Window(x: x0, y: y0, width: x1 - x0, height: y1 - y0),
                             Window(x: cx0, y: cy0, width: cx1 - cx0, height: cy1 - cy0)))
            }
        }
        return plan
    }

    /// The kept tile size (width, height) for `matchTiled`: among the splits into 1, 2, ... columns
    /// of tiles (balanced widths), each with the tallest balanced rows of tiles whose window fits
    /// `memoryLimit`, the one with the least computed area (kept pixels plus the margins and the
    /// disparity columns every window adds). Nil when no tile of 16 rows fits.
    /// - Complexity: O(W) candidate splits.
    /// `count`: the disparities each pixel searches (nil: the whole range; a band's window width).
    static func tileShape(width: Int, height: Int, disparities: ClosedRange<Int>, memoryLimit: Int,
                          count: Int? = nil) -> (Int, Int)? {
        let margin = tileMargin, count = count ?? disparities.count
        let before = max(disparities.upperBound, 0) + margin, after = -min(disparities.lowerBound, 0) + margin
        func computed(_ length: Int, _ tile: Int, _ low: Int, _ high: Int) -> Int {
            stride(from: 0, to: length, by: tile).reduce(0) { $0 + min(length, $1 + tile + high) - max(0, $1 - low) }
        }
        var best: (area: Int, width: Int, height: Int)?
        var previousWidth = 0
        for columns in 1...max(1, min(width, 1024)) {
            let tileWidth = (width + columns - 1) / columns
            guard tileWidth != previousWidth else { continue }
            previousWidth = tileWidth
            let windowWidth = min(width, tileWidth + before + after)
            let rowBytes = estimatedBytes(width: windowWidth, height: 1, disparityCount: count)
            let windowRows = memoryLimit / max(rowBytes, 1)
            var tileHeight = height
            if windowRows < height {
                let rows = windowRows - 2 * margin
                guard rows >= 16 else { continue }
                let tiles = (height + rows - 1) / rows
                tileHeight = (height + tiles - 1) / tiles
            }
            let area = computed(width, tileWidth, before, after) * computed(height, tileHeight, margin, margin)
            if best == nil || area < best!.area { best = (area, tileWidth, tileHeight) }
        }
        return best.map { ($0.width, $0.height) }
    }

    /// Band 0 of `image` inside `window`, packed (a specialised copy: `ImageBuffer.cropped` is
    /// generic across the module boundary and copies pixel by pixel through value witnesses).
    static func crop(_ image: ImageBuffer<Float>, _ window: Window) -> ImageBuffer<Float> {
        var pixels = [Float]()
        return crop(image, window, into: &pixels)
    }

    /// `crop`, cut into `pixels`' storage when that is unique and large enough (then moved into
    /// the image: `pixels` is left empty; take the image's storage back to reuse it).
    static func crop(_ image: ImageBuffer<Float>, _ window: Window, into pixels: inout [Float]) -> ImageBuffer<Float> {
        pixels.removeAll(keepingCapacity: true)
        pixels.reserveCapacity(window.width * window.height)
        image.storage.withUnsafeBufferPointer { source in
            for y in window.y..<window.maxY {
                let start = y * image.rowStride + window.x
                pixels.append(contentsOf: source[start..<(start + window.width)])
            }
        }
        defer { pixels = [] }
        return ImageBuffer(width: window.width, height: window.height, pixels: pixels)
    }
}
