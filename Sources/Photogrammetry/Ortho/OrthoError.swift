import Foundation
import Raster

/// What can go wrong orthorectifying an image; each case names its inputs. DEM coverage problems
/// are `GeometryError`s (`demDoesNotCover`, `demHasNoData`, `demNeedsGeoid`), a missing RPC an
/// `RPCError.noRPC`, file problems `RasterError`s: they propagate as they are.
public enum OrthoError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The output pixel size is not a positive finite number of metres.
    case invalidResolution(Double)
    /// The output grid would be empty or absurdly large (a resolution off by orders of magnitude).
    case gridTooLarge(width: Int, height: Int, resolution: Double, limit: Int)
    /// A band number outside 1...bandCount of the image.
    case bandOutOfRange(band: Int, image: String, bandCount: Int)
    /// The output grid and the image's footprint do not meet.
    case gridDoesNotSeeImage(image: String)
    /// A height grid (in-memory DSM) with an unusable geotransform or no values.
    case invalidHeightGrid(reason: String)
    /// An option outside its domain (tile size, coarse-grid step, ...).
    case invalidOption(name: String, value: String, reason: String)

    public var description: String {
        switch self {
        case .invalidResolution(let r):
            "invalid output resolution \(r) m: give a positive number of metres (e.g. 0.5)"
        case .gridTooLarge(let w, let h, let r, let limit):
            "the output grid at \(r) m would be \(w)x\(h) pixels (limit \(limit) pixels): the resolution is absurd for this footprint"
        case .bandOutOfRange(let band, let image, let count):
            "band \(band) does not exist in \(image) (\(count) band(s), numbered from 1)"
        case .gridDoesNotSeeImage(let image): "the output grid does not overlap the footprint of \(image)"
        case .invalidHeightGrid(let reason): "invalid height grid: \(reason)"
        case .invalidOption(let name, let value, let reason): "invalid \(name) \(value): \(reason)"
        }
    }
}
