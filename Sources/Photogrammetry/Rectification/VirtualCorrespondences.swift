import Raster

extension PointCorrespondence {
    /// Virtual correspondences of a reference tile made with the RPCs, as s2p's
    /// `rpc_utils.matches_from_rpc` / `ground_control_points`: a `count` x `count` grid of
    /// reference points spread over the tile (columns x + (2i + 1) w / (2 count), i < count, the
    /// cell centres, so that the tile corners are not always the samples), each localised with the
    /// reference RPC at `count` heights evenly spread over `heights` (lower and upper included),
    /// then projected into the secondary image. The reference coordinates are the projections of
    /// the localised points (equal to the grid within the localisation tolerance, 1e-4 px).
    ///
    /// Order: column fastest, then row, then height (s2p's `generate_point_mesh`).
    ///
    /// - Parameters:
    ///   - tile: the reference window (RPC coordinates of its pixels: x ... x + width - 1; s2p
    ///     samples the continuous ROI [x, x + w]; we do the same).
    ///   - heights: ellipsoidal heights (metres); `lower == upper` gives one height level.
    ///   - count: grid points per axis (s2p's `n_gcp_per_axis`, default 5), >= 2.
    /// - Throws: `RectificationError.invalidParameter` for count < 2,
    ///   `RPCError.localizationDidNotConverge` when a point cannot be localised.
    /// - Complexity: O(count³) localisations and projections.
    public static func virtual(
        reference: RPCModel, secondary: RPCModel, tile: Window, heights: ClosedRange<Double>, count: Int = 5
    ) throws -> [PointCorrespondence] {
        guard count >= 2 else {
            throw RectificationError.invalidParameter(name: "count", value: Double(count), reason: "at least 2 points per axis")
        }
        let n = Double(count)
        let levels = heights.lowerBound == heights.upperBound ? [heights.lowerBound]
            : (0..<count).map { heights.lowerBound + (heights.upperBound - heights.lowerBound) * Double($0) / (n - 1) }
        var out: [PointCorrespondence] = []
        out.reserveCapacity(count * count * levels.count)
        for h in levels {
            for j in 0..<count {
                let row = Double(tile.y) + Double(tile.height) * (2 * Double(j) + 1) / (2 * n)
                for i in 0..<count {
                    let col = Double(tile.x) + Double(tile.width) * (2 * Double(i) + 1) / (2 * n)
                    out.append(try at(reference: reference, secondary: secondary, column: col, row: row, height: h))
                }
            }
        }
        return out
    }

    /// One virtual correspondence: reference point (column, row) localised at `height`, projected
    /// back into the reference and into the secondary image.
    public static func at(
        reference: RPCModel, secondary: RPCModel, column: Double, row: Double, height: Double
    ) throws -> PointCorrespondence {
        let g = try reference.localization(column: column, row: row, height: height)
        let p1 = reference.projection(longitude: g.longitude, latitude: g.latitude, height: height)
        let p2 = secondary.projection(longitude: g.longitude, latitude: g.latitude, height: height)
        return PointCorrespondence(x1: p1.column, y1: p1.row, x2: p2.column, y2: p2.row, height: height)
    }
}
