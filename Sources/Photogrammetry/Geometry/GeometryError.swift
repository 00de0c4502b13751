import Foundation
import Raster

/// What can go wrong computing the geometry of a stereo pair; each case names its inputs.
/// RPC problems (an image without RPC, a localisation that does not converge) are `RPCError`s,
/// DEM reading problems `RasterError`s: both propagate as they are.
public enum GeometryError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The ground footprints of two images do not intersect at any height of the range used.
    case noOverlap(reference: String, secondary: String, heights: ClosedRange<Double>)
    /// The images overlap, but the secondary image sees nothing of the given reference ROI.
    case roiNotSeen(roi: Window, reference: String, secondary: String, heights: ClosedRange<Double>)
    /// The ROI asked for lies entirely outside the reference image.
    case roiOutsideImage(roi: Window, image: String, width: Int, height: Int)
    /// The ROI has a non-positive size, or one too large to mean anything.
    case invalidROI(roi: Window, reason: String)
    /// A height range that cannot be used (NaN, reversed, negative margin, outside the Earth).
    case invalidHeightRange(lower: Double, upper: Double, reason: String)
    /// A stereo geometry needs a reference and at least one secondary image.
    case notEnoughImages(Int)
    /// The DEM does not cover the ground area (lon/lat bounding box) the scene needs.
    case demDoesNotCover(dem: String, area: GroundBox, demArea: GroundBox?)
    /// The DEM covers the area but every sample there is nodata.
    case demHasNoData(dem: String, area: GroundBox)
    /// The DEM's heights are above a geoid (SRTM `.hgt`) and no geoid was given to convert them.
    case demNeedsGeoid(dem: String)
    /// The DEM has no north-up geotransform or no usable CRS.
    case demNotGeoreferenced(dem: String, reason: String)

    public var description: String {
        switch self {
        case .noOverlap(let reference, let secondary, let heights):
            "the ground footprints of \(reference) and \(secondary) do not overlap for heights \(Self.metres(heights.lowerBound))...\(Self.metres(heights.upperBound)) m above the ellipsoid (give the terrain height with --height or a DEM with --dem if it lies outside this range)"
        case .roiNotSeen(let roi, let reference, let secondary, let heights):
            "\(secondary) sees nothing of the ROI (\(roi)) of \(reference) for heights \(Self.metres(heights.lowerBound))...\(Self.metres(heights.upperBound)) m above the ellipsoid (the images overlap elsewhere)"
        case .roiOutsideImage(let roi, let image, let width, let height):
            "the ROI (\(roi)) lies outside \(image) (\(width)x\(height) pixels)"
        case .invalidROI(let roi, let reason): "invalid ROI (\(roi)): \(reason)"
        case .invalidHeightRange(let lower, let upper, let reason):
            "invalid height range \(lower)...\(upper) m: \(reason)"
        case .notEnoughImages(let n): "stereo geometry needs a reference and at least one secondary image, got \(n) image(s)"
        case .demDoesNotCover(let dem, let area, let demArea):
            "the DEM \(dem) does not cover the scene: it needs \(area)" + (demArea.map { ", the DEM covers \($0)" } ?? "")
        case .demHasNoData(let dem, let area): "the DEM \(dem) has only nodata over \(area)"
        case .demNeedsGeoid(let dem):
            "the DEM \(dem) holds heights above the EGM96 geoid (SRTM): give a geoid grid (egm96_15.gtx) to convert them to ellipsoidal heights"
        case .demNotGeoreferenced(let dem, let reason): "the DEM \(dem) cannot be used: \(reason)"
        }
    }

    static func metres(_ h: Double) -> String { String(format: "%.1f", h) }
}
