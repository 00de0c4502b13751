import Foundation
import Raster

/// The output grid of an orthoimage: a north-up grid of `width` x `height` square pixels of
/// `resolution` metres in a projected CRS given by its EPSG code. Pixel (i, j) covers
/// [x0 + i r, x0 + (i + 1) r) x (y0 - (j + 1) r, y0 - j r], its centre at (i + 0.5, j + 0.5)
/// in GDAL's corner-based pixel/line space.
public struct OrthoGrid: Sendable, Equatable, CustomStringConvertible {
    public let epsg: Int
    /// Top-left corner (x0, y0) of the first pixel.
    public let originX: Double, originY: Double
    public let resolution: Double
    public let width: Int, height: Int

    /// Most output pixels accepted (4 Gpixel): a larger grid comes from a resolution off by orders of magnitude.
    public static let maxPixels = 1 << 32

    /// - Throws: `OrthoError.invalidResolution`, `.gridTooLarge` for an empty or oversized grid.
    public init(epsg: Int, originX: Double, originY: Double, resolution: Double, width: Int, height: Int) throws {
        guard resolution > 0, resolution.isFinite else { throw OrthoError.invalidResolution(resolution) }
        guard width >= 1, height >= 1, width.multipliedReportingOverflow(by: height).partialValue <= Self.maxPixels,
              width <= Self.maxPixels, height <= Self.maxPixels else {
            throw OrthoError.gridTooLarge(width: width, height: height, resolution: resolution, limit: Self.maxPixels)
        }
        self.epsg = epsg
        self.originX = originX
        self.originY = originY
        self.resolution = resolution
        self.width = width
        self.height = height
    }

    /// The smallest grid with corners on multiples of `resolution` that holds a box of
    /// projected coordinates.
    /// - Throws: as `init`, `OrthoError.gridTooLarge` when the box needs more than `maxPixels`.
    public static func covering(minX: Double, minY: Double, maxX: Double, maxY: Double, resolution: Double, epsg: Int) throws -> OrthoGrid {
        guard resolution > 0, resolution.isFinite else { throw OrthoError.invalidResolution(resolution) }
        let x0 = (minX / resolution).rounded(.down) * resolution, x1 = (maxX / resolution).rounded(.up) * resolution
        let y0 = (minY / resolution).rounded(.down) * resolution, y1 = (maxY / resolution).rounded(.up) * resolution
        let w = ((x1 - x0) / resolution).rounded(), h = ((y1 - y0) / resolution).rounded()
        guard w.isFinite, h.isFinite, w * h <= Double(maxPixels), w >= 1, h >= 1 else {
            throw OrthoError.gridTooLarge(width: w.isFinite ? Int(min(w, 1e15)) : Int.max, height: h.isFinite ? Int(min(h, 1e15)) : Int.max,
                                          resolution: resolution, limit: maxPixels)
        }
        return try OrthoGrid(epsg: epsg, originX: x0, originY: y1, resolution: resolution, width: Int(w), height: Int(h))
    }

    /// GDAL's geotransform of the grid.
    public var geoTransform: GeoTransform {
        GeoTransform(originX: originX, originY: originY, pixelWidth: resolution, pixelHeight: resolution)
    }

    /// Projected coordinates of the centre of pixel (i, j) (fractional positions allowed).
    @inline(__always)
    public func centre(column i: Double, row j: Double) -> (x: Double, y: Double) {
        (originX + (i + 0.5) * resolution, originY - (j + 0.5) * resolution)
    }

    /// A sub-grid: the pixels of `window` (which must lie inside this grid).
    public func subgrid(_ window: Window) throws -> OrthoGrid {
        try OrthoGrid(epsg: epsg, originX: originX + Double(window.x) * resolution, originY: originY - Double(window.y) * resolution,
                      resolution: resolution, width: window.width, height: window.height)
    }

    public var description: String {
        "EPSG:\(epsg), \(width)x\(height) px of \(resolution)\(Self.unitSuffix(epsg: epsg)), top-left (\(originX), \(originY))"
    }

    /// " m", or "°" for a geographic CRS (whose grid steps are degrees), for printing a
    /// resolution in the CRS's unit.
    public static func unitSuffix(epsg: Int) -> String {
        (try? SpatialReference(epsg: epsg))?.isGeographic == true ? "°" : " m"
    }

    /// A "round" pixel size near a ground sampling distance: 1, 2, 2.5 or 5 times a power of ten
    /// (0.5 m for Pléiades' 0.5-0.7 m, 2 m for its 2-2.8 m multispectral bands).
    public static func roundedResolution(_ gsd: Double) -> Double {
        guard gsd > 0, gsd.isFinite else { return gsd }
        let scale = pow(10, (log10(gsd)).rounded(.down))
        let m = gsd / scale
        let steps: [Double] = [1, 2, 2.5, 5, 10]
        // The largest step not above the GSD (5 % slack: 0.52 m gives 0.5 m, not 0.25 m): never coarser.
        let best = steps.last { $0 <= m * 1.05 } ?? 1
        return best * scale
    }
}
