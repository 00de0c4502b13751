import Foundation
import Raster

/// A grid of terrain or surface heights in memory (a DEM window, or a DSM the pipeline made),
/// sampled bilinearly between sample centres. Values are NaN where there is no data.
///
/// `geoid` nil: the values are ellipsoidal (WGS84) heights, as s2p's and Relief's DSMs. Otherwise
/// they are above that geoid (SRTM is above EGM96) and sampling adds the undulation N(lon, lat).
public struct HeightGrid: Sendable {
    /// Heights, band 0; NaN = no data. A window of a larger raster (`HeightRaster.window`) holds
    /// samples `origin.x ..< origin.x + values.width` (and rows likewise) of `extent`.
    public let values: ImageBuffer<Float>
    /// North-up geotransform of the whole grid, `extent` samples (GDAL's corner convention).
    public let geoTransform: GeoTransform
    /// Samples (columns, rows) of the whole grid: `values`' size unless `values` is a window.
    let extent: (width: Int, height: Int)
    /// Where `values` starts in the whole grid ((0, 0) unless a window).
    let origin: (x: Int, y: Int)
    /// CRS of the geotransform (4326 for SRTM, a UTM zone for a DSM).
    public let epsg: Int
    public let geoid: Geoid?
    /// Where the heights come from (for messages).
    public let source: String

    /// - Throws: `OrthoError.invalidHeightGrid` for a geotransform that is not north-up or an empty grid.
    public init(values: ImageBuffer<Float>, geoTransform: GeoTransform, epsg: Int, geoid: Geoid? = nil, source: String = "height grid") throws {
        let c = geoTransform.array
        guard geoTransform.isNorthUp, c[1] > 0, c[5] < 0, c.allSatisfy(\.isFinite) else {
            throw OrthoError.invalidHeightGrid(reason: "\(source): the geotransform \(c) is not north-up")
        }
        guard values.width >= 1, values.height >= 1 else {
            throw OrthoError.invalidHeightGrid(reason: "\(source): no samples")
        }
        self.values = values
        self.geoTransform = geoTransform
        self.epsg = epsg
        self.geoid = geoid
        self.source = source
        extent = (values.width, values.height)
        origin = (0, 0)
    }

    /// Samples `window` (non-empty, inside `extent`) of a whole grid of `extent` samples whose
    /// geotransform is `geoTransform`: sampling gives the whole grid's values (its borders, not
    /// the window's), NaN where a tap falls outside the window.
    init(window values: ImageBuffer<Float>, origin: (x: Int, y: Int), extent: (width: Int, height: Int),
         geoTransform: GeoTransform, epsg: Int, geoid: Geoid?, source: String) {
        self.values = values
        self.geoTransform = geoTransform
        self.epsg = epsg
        self.geoid = geoid
        self.source = source
        self.extent = extent
        self.origin = origin
    }

    /// The lowest and highest heights of the grid (its own datum), nil when it holds no data.
    public var valueRange: ClosedRange<Double>? {
        var lo = Float.infinity, hi = -Float.infinity
        for y in 0..<values.height {
            for x in 0..<values.width {
                let v = values[x, y]
                if v.isFinite { lo = min(lo, v); hi = max(hi, v) }
            }
        }
        return lo <= hi ? Double(lo)...Double(hi) : nil
    }

    /// Bilinear height at (x, y) in the grid's CRS, in the grid's own datum; NaN outside the
    /// grid (beyond half a sample from the outer sample centres) or next to a no-data sample
    /// (for a window: also where a tap falls outside it).
    /// - Complexity: O(1).
    @inline(__always)
    public func sample(x: Double, y: Double) -> Double {
        let c = geoTransform.coefficients
        var px = (x - c.0) / c.1 - 0.5, py = (y - c.3) / c.5 - 0.5
        let (width, height) = extent
        let w = Double(width - 1), h = Double(height - 1)
        guard px >= -0.5, py >= -0.5, px <= w + 0.5, py <= h + 0.5 else { return .nan }
        px = min(max(px, 0), w)
        py = min(max(py, 0), h)
        let i0 = min(Int(px), width - 1), j0 = min(Int(py), height - 1)
        let i1 = min(i0 + 1, width - 1), j1 = min(j0 + 1, height - 1)
        let fx = px - Double(i0), fy = py - Double(j0)
        // Taps in the window's own samples.
        let (a0, a1, b0, b1) = (i0 - origin.x, i1 - origin.x, j0 - origin.y, j1 - origin.y)
        guard a0 >= 0, b0 >= 0, a1 < values.width, b1 < values.height else { return .nan }
        let s = values.rowStride
        let v00 = Double(values.storage[b0 * s + a0]), v10 = Double(values.storage[b0 * s + a1])
        let v01 = Double(values.storage[b1 * s + a0]), v11 = Double(values.storage[b1 * s + a1])
        let top = v00 + (v10 - v00) * fx, bottom = v01 + (v11 - v01) * fx
        return top + (bottom - top) * fy   // NaN taps propagate
    }

    /// Reads the part of a DEM file covering a lon/lat box (plus two samples each side).
    ///
    /// - Parameters:
    ///   - required: the box the DEM must cover (the image footprint); else `demDoesNotCover`.
    ///   - wanted: a larger box to read where the DEM has it (the output grid's extent); default `required`.
    ///   - geoid: the geoid the DEM's heights are above (EGM96 for SRTM), nil for ellipsoidal heights.
    ///     An SRTM `.hgt` without it throws `demNeedsGeoid`.
    /// - Throws: `GeometryError.demDoesNotCover`, `.demHasNoData`, `.demNeedsGeoid`, `.demNotGeoreferenced`;
    ///   `RasterError` when the file cannot be read.
    /// - Complexity: O(DEM samples in the box).
    public static func load(dem path: String, covering required: GroundBox, reading wanted: GroundBox? = nil, geoid: Geoid?) throws -> HeightGrid {
        let raster = try HeightRaster(path: path, geoid: geoid)
        let window = try raster.samples(covering: required, reading: wanted)
        let dataset = try Dataset(path: path)
        var values = try dataset.read(Float.self, band: 1, window: window, fill: .nan)
        let nodata = raster.nodata
        var any = false
        for k in values.storage.indices {
            let v = values.storage[k]
            if let nodata, Double(v) == nodata { values.storage[k] = .nan } else if v.isFinite { any = true }
        }
        guard any else { throw GeometryError.demHasNoData(dem: path, area: required) }
        let origin = raster.geoTransform.apply(pixel: Double(window.x), line: Double(window.y))
        let c = raster.geoTransform.array
        return try HeightGrid(values: values, geoTransform: GeoTransform(origin.x, c[1], 0, origin.y, 0, c[5]), epsg: raster.epsg,
                              geoid: geoid, source: path)
    }
}
