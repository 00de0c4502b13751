import Raster

extension StereoMatcher {
    /// `matchTiled` on two rasters on disk: each tile's window is read from the files when the
    /// tile is matched, and the tile's kept pixels are handed to `body` with where they go in the
    /// image, so memory holds one tile (its windows, volumes and result), never the images or the
    /// whole result.
    ///
    /// Full search: the tiles, their windows and their results are `matchTiled`'s on the whole
    /// images (`tilePlan`, the same `match` call on the same pixels: equal bit for bit).
    /// Coarse to fine (`.pyramid`): the image is cut into blocks (`tileSize`, or
    /// `pyramidBlockSide(memoryLimit:)` kept pixels a side), each matched on its window
    /// (`pyramidBlockMargin` context pixels around it, plus the columns its disparities reach) by
    /// `matchTiled`'s coarse-to-fine search in memory; an image within one block gives
    /// `matchTiled`'s result bit for bit, larger ones differ only near the blocks' seams (their
    /// coarse levels and window predictions see the block's window, not the whole image).
    ///
    /// - Parameters:
    ///   - band: the 1-based band of both rasters that is matched.
    ///   - nodata: as `match` (pixels equal to it never match), nil for none.
    ///   - tileSize: the kept side of the tiles (full search) or blocks (coarse to fine); nil
    ///     picks it from `parameters.memoryLimit`.
    ///   - body: called once per tile, in row-major tile order, with the tile's kept window of the
    ///     image and its disparities and confidences (that window's size); an error it throws
    ///     stops the matching and is rethrown.
    /// - Throws: as `matchTiled`; `RasterError` when a window cannot be read.
    /// - Complexity: O(W·H·D·paths) time (D the window width with `.pyramid`); memory one tile's
    ///   (`parameters.memoryLimit`), with `.pyramid` one block's images and maps (about 32 bytes a
    ///   pixel of its window, `pyramidBlockSide` keeps them within the budget) besides its fine
    ///   tiles' volumes.
    public static func matchStreamed(
        left: Dataset, right: Dataset, band: Int, disparities: ClosedRange<Int>,
        parameters: StereoMatchingParameters = StereoMatchingParameters(), nodata: Float? = nil, tileSize: Int? = nil,
        workspace: MatchingWorkspace? = nil, body: (_ core: Window, _ tile: StereoMatchResult) throws -> Void
    ) throws {
        try parameters.validate()
        try checkPair(left.width, left.height, right.width, right.height)
        let workspace = workspace ?? MatchingWorkspace()
        let (width, height) = (left.width, left.height)
        let whole = Window(x: 0, y: 0, width: width, height: height)
        let pyramid = parameters.search == .pyramid
        let plan = try tilePlan(width: width, height: height, disparities: disparities, count: disparities.count,
                                memoryLimit: parameters.memoryLimit,
                                tileSize: pyramid ? tileSize ?? pyramidBlockSide(memoryLimit: parameters.memoryLimit,
                                                                                 disparities: disparities) : tileSize,
                                margin: pyramid ? pyramidBlockMargin : tileMargin) ?? [(whole, whole)]
        for (core, window) in plan {
            let leftTile = try left.read(Float.self, band: band, window: window, fill: .nan)
            let rightTile = try right.read(Float.self, band: band, window: window, fill: .nan)
            let tile = pyramid
                ? try matchTiled(left: leftTile, right: rightTile, disparities: disparities, parameters: parameters,
                                 nodata: nodata, workspace: workspace)
                : try match(left: leftTile, right: rightTile, disparities: disparities, parameters: parameters,
                            nodata: nodata, workspace: workspace)
            guard core != window else {
                try body(core, tile)
                continue
            }
            var kept = StereoMatchResult.allNaN(width: core.width, height: core.height)
            kept.paste(tile, window: window, core: core, origin: (core.x, core.y))
            try body(core, kept)
        }
    }

    /// Context pixels around each block of a streamed coarse-to-fine search: twice `tileMargin`,
    /// so that its coarse level's paths see `tileMargin` coarse pixels past the block's edge.
    public static let pyramidBlockMargin = 2 * tileMargin

    /// Bytes a streamed coarse-to-fine block holds per pixel of its window (images, their masked
    /// copies, window offsets, result and coarse level), besides its fine tiles' volumes.
    static let pyramidBlockBytesPerPixel = 32

    /// The kept side of a streamed coarse-to-fine search's blocks for a memory budget: the largest
    /// multiple of 256 pixels whose window (the block, `pyramidBlockMargin` around it and the
    /// columns `disparities` reach) holds within `memoryLimit` at `pyramidBlockBytesPerPixel`; at
    /// least 512 (3840 for the default 512 MiB and 128 disparities).
    public static func pyramidBlockSide(memoryLimit: Int, disparities: ClosedRange<Int>) -> Int {
        let margin = pyramidBlockMargin
        let reach = max(disparities.upperBound, 0) - min(disparities.lowerBound, 0)
        var side = 512
        while (side + 256 + reach + 2 * margin) * (side + 256 + 2 * margin) * pyramidBlockBytesPerPixel <= memoryLimit {
            side += 256
        }
        return side
    }
}
