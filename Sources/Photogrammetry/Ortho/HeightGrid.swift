import Foundation
import Raster

/// A grid of terrain or surface heights in memory (a DEM window, or a DSM the pipeline made),
/// sampled bilinearly between sample centres. Values are NaN where there is no data.
///
/// `geoid` nil: the values are ellipsoidal (WGS84) heights, as s2p's and Relief's DSMs. Otherwise
/// they are above that geoid (SRTM is above EGM96) and sampling adds the undulation N(lon, lat).
public struct HeightGrid: Sendable {
    /// Heights, band 0; NaN = no data.
    public let values: ImageBuffer<Float>
    /// North-up geotransform of `values` (GDAL's corner convention).
    public let geoTransform: GeoTransform
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
    /// grid (beyond half a sample from the outer sample centres) or next to a no-data sample.
    /// - Complexity: O(1).
    @inline(__always)
    public func sample(x: Double, y: Double) -> Double {
        let c = geoTransform.coefficients
        var px = (x - c.0) / c.1 - 0.5, py = (y - c.3) / c.5 - 0.5
        let w = Double(values.width - 1), h = Double(values.height - 1)
        guard px >= -0.5, py >= -0.5, px <= w + 0.5, py <= h + 0.5 else { return .nan }
        px = min(max(px, 0), w)
        py = min(max(py, 0), h)
        let i0 = min(Int(px), values.width - 1), j0 = min(Int(py), values.height - 1)
        let i1 = min(i0 + 1, values.width - 1), j1 = min(j0 + 1, values.height - 1)
        let fx = px - Double(i0), fy = py - Double(j0)
        let s = values.rowStride
        let v00 = Double(values.storage[j0 * s + i0]), v10 = Double(values.storage[j0 * s + i1])
        let v01 = Double(values.storage[j1 * s + i0]), v11 = Double(values.storage[j1 * s + i1])
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
        if geoid == nil, path.lowercased().hasSuffix(".hgt") { throw GeometryError.demNeedsGeoid(dem: path) }
        let dataset = try Dataset(path: path)
        guard let gt = dataset.geoTransform, gt.isNorthUp, gt.array[1] > 0, gt.array[5] < 0, let toPixel = gt.inverted() else {
            throw GeometryError.demNotGeoreferenced(dem: path, reason: "no north-up geotransform")
        }
        guard let crs = dataset.spatialReference else {
            throw GeometryError.demNotGeoreferenced(dem: path, reason: "no coordinate reference system")
        }
        guard let epsg = crs.epsg else {
            throw GeometryError.demNotGeoreferenced(dem: path, reason: "its CRS has no EPSG code")
        }
        let wgs84 = try SpatialReference(epsg: 4326)
        let toDEM = crs.isSame(as: wgs84) ? nil : try CoordinateTransformation(from: wgs84, to: crs)
        func pixelBox(_ box: GroundBox) throws -> (x0: Double, y0: Double, x1: Double, y1: Double) {
            let lons = (0...4).map { box.minLongitude + (box.maxLongitude - box.minLongitude) * Double($0) / 4 }
            let lats = (0...4).map { box.minLatitude + (box.maxLatitude - box.minLatitude) * Double($0) / 4 }
            var xs = lons.flatMap { lon in lats.map { _ in lon } }, ys = lons.flatMap { _ in lats }
            if let toDEM {
                var zs = [Double](repeating: 0, count: xs.count)
                try toDEM.transform(x: &xs, y: &ys, z: &zs)
            }
            let p = zip(xs, ys).map { toPixel.apply(pixel: $0, line: $1) }
            return (p.map(\.x).min()!, p.map(\.y).min()!, p.map(\.x).max()!, p.map(\.y).max()!)
        }
        let need = try pixelBox(required)
        guard need.x0 >= 0, need.y0 >= 0, need.x1 <= Double(dataset.width), need.y1 <= Double(dataset.height) else {
            let a = gt.apply(pixel: 0, line: 0), b = gt.apply(pixel: Double(dataset.width), line: Double(dataset.height))
            let extent = crs.isGeographic
                ? GroundBox(minLongitude: min(a.x, b.x), maxLongitude: max(a.x, b.x), minLatitude: min(a.y, b.y), maxLatitude: max(a.y, b.y))
                : nil
            throw GeometryError.demDoesNotCover(dem: path, area: required, demArea: extent)
        }
        let want = try pixelBox(wanted.map { $0.union(required) } ?? required)
        let x0 = max(0, Int(want.x0.rounded(.down)) - 2), y0 = max(0, Int(want.y0.rounded(.down)) - 2)
        let x1 = min(dataset.width, Int(want.x1.rounded(.up)) + 2), y1 = min(dataset.height, Int(want.y1.rounded(.up)) + 2)
        let window = Window(x: x0, y: y0, width: x1 - x0, height: y1 - y0)
        var values = try dataset.read(Float.self, band: 1, window: window, fill: .nan)
        let nodata = try dataset.nodata()
        var any = false
        for k in values.storage.indices {
            let v = values.storage[k]
            if let nodata, Double(v) == nodata { values.storage[k] = .nan } else if v.isFinite { any = true }
        }
        guard any else { throw GeometryError.demHasNoData(dem: path, area: required) }
        let origin = gt.apply(pixel: Double(x0), line: Double(y0))
        let c = gt.array
        return try HeightGrid(values: values, geoTransform: GeoTransform(origin.x, c[1], 0, origin.y, 0, c[5]), epsg: epsg,
                              geoid: geoid, source: path)
    }
}
