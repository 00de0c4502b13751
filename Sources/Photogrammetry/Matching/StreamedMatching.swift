import Raster

extension StereoMatcher {
    /// `matchTiled` (full search) on two rasters on disk: each tile's window is read from the files
    /// when the tile is matched, and the tile's kept pixels are handed to `body` with where they go
    /// in the image, so memory holds one tile (its windows, volumes and result), never the images
    /// or the whole result. The tiles, their windows and their results are `matchTiled`'s on the
    /// whole images (`tilePlan`, the same `match` call on the same pixels: equal bit for bit).
    ///
    /// - Parameters:
    ///   - band: the 1-based band of both rasters that is matched.
    ///   - nodata: as `match` (pixels equal to it never match), nil for none.
    ///   - body: called once per tile, in row-major tile order, with the tile's kept window of the
    ///     image and its disparities and confidences (that window's size); an error it throws
    ///     stops the matching and is rethrown.
    /// - Throws: `MatchingError.invalidParameter` for `parameters.search == .pyramid` (its coarse
    ///   level and window prediction span the whole image: use `matchTiled` on images in memory),
    ///   otherwise as `matchTiled`; `RasterError` when a window cannot be read.
    /// - Complexity: O(W·H·D·paths) time; memory one tile's (`parameters.memoryLimit`).
    public static func matchStreamed(
        left: Dataset, right: Dataset, band: Int, disparities: ClosedRange<Int>,
        parameters: StereoMatchingParameters = StereoMatchingParameters(), nodata: Float? = nil, tileSize: Int? = nil,
        workspace: MatchingWorkspace? = nil, body: (_ core: Window, _ tile: StereoMatchResult) throws -> Void
    ) throws {
        try parameters.validate()
        guard parameters.search == .full else {
            throw MatchingError.invalidParameter(name: "search", reason: "streamed matching searches in full; "
                                                 + "coarse to fine needs the whole images in memory")
        }
        try checkPair(left.width, left.height, right.width, right.height)
        let workspace = workspace ?? MatchingWorkspace()
        let (width, height) = (left.width, left.height)
        let whole = Window(x: 0, y: 0, width: width, height: height)
        let plan = try tilePlan(width: width, height: height, disparities: disparities, count: disparities.count,
                                memoryLimit: parameters.memoryLimit, tileSize: tileSize) ?? [(whole, whole)]
        for (core, window) in plan {
            let leftTile = try left.read(Float.self, band: band, window: window, fill: .nan)
            let rightTile = try right.read(Float.self, band: band, window: window, fill: .nan)
            let tile = try match(left: leftTile, right: rightTile, disparities: disparities, parameters: parameters,
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
}
