import Raster

/// The overlap of the reference and one secondary image at one height.
public struct HeightOverlap: Sendable, Equatable {
    /// Metres above the ellipsoid.
    public let height: Double
    /// The intersection of the two footprints (empty when they do not meet at this height).
    public let polygon: GroundPolygon
    public var areaSquareKilometres: Double { polygon.isEmpty ? 0 : polygon.areaSquareKilometres }
}

/// The geometry of the reference image with one secondary image.
public struct PairGeometry: Sendable, Equatable {
    public let secondary: StereoImage
    /// Footprint intersections at the sampled heights of the range (lower, middle, upper).
    public let overlaps: [HeightOverlap]
    /// The window of the reference image that sees this pair's overlap at some sampled height,
    /// clipped to the image (the given ROI, clipped, when one was given).
    public let roi: Window
    /// Convergence and parallax at the ROI centre, middle height.
    public let viewing: PairViewing

    /// The overlap at the middle of the height range.
    public var overlap: HeightOverlap { overlaps[overlaps.count / 2] }
}

/// The geometry of a stereo set (issue 5, "pair geometry"): the reference and secondary images,
/// the terrain height range, the reference ROI, and per secondary image the footprint overlap,
/// convergence and parallax per metre.
public struct StereoGeometry: Sendable, Equatable {
    public let reference: StereoImage
    public let heights: HeightRange
    /// The reference window to process: the given ROI clipped to the image, or the union of the
    /// pairs' overlap windows (what at least two images see).
    public let roi: Window
    /// True when a given ROI was cut to fit the image.
    public let roiWasClipped: Bool
    /// The ROI's footprint at the middle height.
    public let roiFootprint: Footprint
    public let pairs: [PairGeometry]

    /// Largest ROI side accepted, pixels: above any satellite scene (Pléiades: 40 000 columns),
    /// so a larger value is a mistake (e.g. metres or a swapped argument).
    public static let maxROISide = 1_000_000

    /// Checks a ROI and clips it to an image.
    /// - Throws: `GeometryError.invalidROI` for a non-positive or absurd size,
    ///   `.roiOutsideImage` when nothing of it is inside the image.
    public static func validate(roi: Window, in image: StereoImage) throws -> (window: Window, clipped: Bool) {
        guard roi.width > 0, roi.height > 0 else {
            throw GeometryError.invalidROI(roi: roi, reason: "width and height must be positive")
        }
        guard roi.width <= maxROISide, roi.height <= maxROISide,
              abs(roi.x) <= maxROISide, abs(roi.y) <= maxROISide else {
            throw GeometryError.invalidROI(roi: roi, reason: "larger than any image (\(maxROISide) pixels a side at most)")
        }
        guard let inside = roi.clipped(toWidth: image.width, height: image.height) else {
            throw GeometryError.roiOutsideImage(roi: roi, image: image.path, width: image.width, height: image.height)
        }
        return (inside, inside != roi)
    }

    /// Computes the geometry of `reference` with each of `secondaries`.
    ///
    /// - Parameters:
    ///   - roi: a window of the reference (clipped to it); nil for the part of the reference that
    ///     sees some secondary image.
    ///   - heights: the terrain height prior; a DEM is read over the ROI's footprint (the whole
    ///     reference when no ROI is given).
    ///   - step: footprint border sampling, pixels.
    /// - Throws: `GeometryError.notEnoughImages`, `.invalidROI`, `.roiOutsideImage`, `.noOverlap`
    ///   (naming both images and the heights tried) when a secondary image sees nothing of the
    ///   reference at any sampled height, `.roiNotSeen` when it sees the reference but not the
    ///   given ROI; DEM errors; `RPCError` from localisation.
    /// - Complexity: O(secondaries x heights x (perimeter / step)) localisations.
    public static func compute(
        reference: StereoImage, secondaries: [StereoImage], heights prior: HeightPrior, roi: Window? = nil, step: Int = 64
    ) throws -> StereoGeometry {
        guard !secondaries.isEmpty else { throw GeometryError.notEnoughImages(1 + secondaries.count) }
        let given = try roi.map { try validate(roi: $0, in: reference) }
        let window = given?.window ?? reference.bounds
        let heights = try prior.resolve(reference: reference, window: window)
        let levels = heights.samples(3)
        let referenceFootprints = try levels.map { try reference.footprint(of: window, height: $0, step: step) }
        var pairs: [PairGeometry] = []
        for secondary in secondaries {
            var overlaps: [HeightOverlap] = []
            var seen: Window?
            for (level, footprint) in zip(levels, referenceFootprints) {
                let other = try secondary.footprint(height: level, step: step)
                let common = footprint.polygon.intersection(other.polygon)
                overlaps.append(HeightOverlap(height: level, polygon: common))
                if let w = reference.model.enclosingWindow(of: common, height: level) {
                    seen = seen.map { union($0, w) } ?? w
                }
            }
            guard overlaps.contains(where: { !$0.polygon.isEmpty }),
                  let pairWindow = given?.window ?? seen?.clipped(toWidth: reference.width, height: reference.height) else {
                if let given, try imagesOverlap(reference, secondary, at: levels, step: step) {
                    throw GeometryError.roiNotSeen(roi: given.window, reference: reference.path, secondary: secondary.path,
                                                   heights: heights.closedRange)
                }
                throw GeometryError.noOverlap(reference: reference.path, secondary: secondary.path, heights: heights.closedRange)
            }
            let viewing = try PairViewing(reference: reference.model, secondary: secondary.model,
                                          column: centre(pairWindow).x, row: centre(pairWindow).y, height: heights.middle)
            pairs.append(PairGeometry(secondary: secondary, overlaps: overlaps, roi: pairWindow, viewing: viewing))
        }
        let finalROI = given?.window ?? pairs.dropFirst().reduce(pairs[0].roi) { union($0, $1.roi) }
        let footprint = try reference.footprint(of: finalROI, height: heights.middle, step: step)
        return StereoGeometry(reference: reference, heights: heights, roi: finalROI, roiWasClipped: given?.clipped ?? false,
                              roiFootprint: footprint, pairs: pairs)
    }

    /// True when the whole images' footprints meet at one of the heights.
    static func imagesOverlap(_ a: StereoImage, _ b: StereoImage, at heights: [Double], step: Int) throws -> Bool {
        for h in heights where !(try a.footprint(height: h, step: step).polygon.intersection(b.footprint(height: h, step: step).polygon)).isEmpty {
            return true
        }
        return false
    }

    /// The smallest window holding both.
    static func union(_ a: Window, _ b: Window) -> Window {
        let x0 = min(a.x, b.x), y0 = min(a.y, b.y)
        return Window(x: x0, y: y0, width: max(a.maxX, b.maxX) - x0, height: max(a.maxY, b.maxY) - y0)
    }

    /// The centre of a window in RPC coordinates (0-based pixel centres).
    static func centre(_ w: Window) -> SIMD2<Double> {
        SIMD2(Double(w.x) + Double(w.width) / 2 - 0.5, Double(w.y) + Double(w.height) / 2 - 0.5)
    }
}
