import Raster

/// What can go wrong rectifying a tile; each case names its inputs. RPC failures (a
/// localisation that does not converge) propagate as `RPCError`, reading failures as `RasterError`.
public enum RectificationError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Fewer than 4 correspondences, or ones that do not determine an affine fundamental matrix
    /// (all on a line, all equal, no parallax direction, or non-finite values).
    case degenerateCorrespondences(count: Int, reason: String)
    /// The tile asked for lies (partly) outside the reference image, or has no pixel.
    case tileOutsideImage(tile: Window, image: String, width: Int, height: Int)
    /// A parameter out of its domain (grid points per axis, margins).
    case invalidParameter(name: String, value: Double, reason: String)
    /// The rectified tile would be too large to mean anything (the maps are degenerate).
    case rectifiedTileTooLarge(width: Int, height: Int, limit: Int)

    public var description: String {
        switch self {
        case .degenerateCorrespondences(let count, let reason):
            "no stereo geometry between the two images (the affine fundamental matrix from \(count) correspondence(s) of the RPCs is undetermined: "
                + "\(reason)); the images may be the same view (identical images or RPC models), or the height range may be empty"
        case .tileOutsideImage(let tile, let image, let width, let height):
            "the tile (\(tile)) is not inside \(image) (\(width)x\(height) pixels)"
        case .invalidParameter(let name, let value, let reason):
            "invalid rectification parameter \(name) = \(value): \(reason)"
        case .rectifiedTileTooLarge(let width, let height, let limit):
            "the rectified tile would be \(width)x\(height) pixels (limit \(limit) per side): degenerate geometry"
        }
    }
}
