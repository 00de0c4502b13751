import Foundation
import Raster

/// A height raster on disk (a DSM, a DEM) that orthorectification samples tile by tile: each
/// output tile reads only the window of samples its points fall in (`window`), so memory stays
/// bounded by the tile size whatever the raster's size. Sampling a window gives the same values
/// as sampling the whole raster in memory (`HeightGrid.sample`, the raster's own borders).
///
/// Values: band 1; NaN and the file's nodata value are no data.
public struct HeightRaster: Sendable {
    public let path: String
    /// North-up geotransform of the raster (GDAL's corner convention).
    public let geoTransform: GeoTransform
    public let epsg: Int
    public let width: Int, height: Int
    public let nodata: Double?
    /// The geoid the heights are above, nil for ellipsoidal heights (Relief's and s2p's DSMs).
    public let geoid: Geoid?
    /// Rows and columns of the blocks `valueRange` reads at a time.
    static let scanBlock = 512

    /// Opens `path` and checks that it is georeferenced (north-up geotransform, a CRS with an
    /// EPSG code). Reads no samples.
    /// - Throws: `GeometryError.demNotGeoreferenced`, `.demNeedsGeoid` (an SRTM `.hgt` without
    ///   geoid), `RasterError` when the file cannot be opened.
    public init(path: String, geoid: Geoid?) throws {
        if geoid == nil, path.lowercased().hasSuffix(".hgt") { throw GeometryError.demNeedsGeoid(dem: path) }
        let dataset = try Dataset(path: path)
        guard let gt = dataset.geoTransform, gt.isNorthUp, gt.array[1] > 0, gt.array[5] < 0,
              gt.array.allSatisfy(\.isFinite) else {
            throw GeometryError.demNotGeoreferenced(dem: path, reason: "no north-up geotransform")
        }
        guard let crs = dataset.spatialReference else {
            throw GeometryError.demNotGeoreferenced(dem: path, reason: "no coordinate reference system")
        }
        guard let epsg = crs.epsg else {
            throw GeometryError.demNotGeoreferenced(dem: path, reason: "its CRS has no EPSG code")
        }
        (self.path, self.geoTransform, self.epsg, self.geoid) = (path, gt, epsg, geoid)
        (width, height) = (dataset.width, dataset.height)
        nodata = try dataset.nodata()
    }

    /// The lowest and highest heights of the raster (its own datum), read block by block
    /// (`scanBlock`² samples at a time); nil when it holds no data.
    /// - Complexity: O(samples) time, O(scanBlock²) memory.
    public func valueRange() throws -> ClosedRange<Double>? {
        let dataset = try Dataset(path: path)
        var lo = Float.infinity, hi = -Float.infinity
        let block = Self.scanBlock
        for y in stride(from: 0, to: height, by: block) {
            for x in stride(from: 0, to: width, by: block) {
                let window = Window(x: x, y: y, width: min(block, width - x), height: min(block, height - y))
                var values = try dataset.read(Float.self, band: 1, window: window, fill: .nan)
                clearNodata(&values)
                for v in values.storage where v.isFinite {
                    lo = min(lo, v)
                    hi = max(hi, v)
                }
            }
        }
        return lo <= hi ? Double(lo)...Double(hi) : nil
    }

    /// The samples bilinear sampling needs anywhere in the box `minX...maxX` x `minY...maxY`
    /// (the raster's CRS), as a window of the whole raster read from `dataset` (this raster's
    /// file, opened by the caller: one per thread); nil when the box lies outside the raster.
    /// - Complexity: O(samples in the box).
    func window(minX: Double, minY: Double, maxX: Double, maxY: Double, dataset: Dataset) throws -> HeightGrid? {
        guard minX.isFinite, minY.isFinite, maxX.isFinite, maxY.isFinite else { return nil }
        let c = geoTransform.coefficients
        // Sample-centre coordinates (as `HeightGrid.sample`), clamped there to the raster.
        let px = [(minX - c.0) / c.1 - 0.5, (maxX - c.0) / c.1 - 0.5]
        let py = [(minY - c.3) / c.5 - 0.5, (maxY - c.3) / c.5 - 0.5]
        let pxLow = px.min()!, pxHigh = px.max()!, pyLow = py.min()!, pyHigh = py.max()!
        guard pxHigh >= -0.5, pyHigh >= -0.5, pxLow <= Double(width) - 0.5, pyLow <= Double(height) - 0.5 else { return nil }
        // The taps floor(p) and floor(p) + 1 of every p in the box, one sample more each side.
        func first(_ p: Double) -> Int { max(0, Int(max(p, 0).rounded(.down)) - 1) }
        func last(_ p: Double, _ count: Int) -> Int { min(count - 1, Int(min(p, Double(count - 1)).rounded(.down)) + 2) }
        let x0 = first(pxLow), x1 = last(pxHigh, width), y0 = first(pyLow), y1 = last(pyHigh, height)
        guard x0 <= x1, y0 <= y1 else { return nil }
        var values = try dataset.read(Float.self, band: 1, window: Window(x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1),
                                      fill: .nan)
        clearNodata(&values)
        return HeightGrid(window: values, origin: (x0, y0), extent: (width, height), geoTransform: geoTransform, epsg: epsg,
                          geoid: geoid, source: path)
    }

    /// The samples covering a lon/lat box `required` (plus two samples each side), and as much of
    /// the larger box `wanted` as the raster has (default `required`).
    /// - Throws: `GeometryError.demDoesNotCover` when the raster does not cover `required`.
    /// - Complexity: O(1) (25 points of each box transformed).
    public func samples(covering required: GroundBox, reading wanted: GroundBox? = nil) throws -> Window {
        let dataset = try Dataset(path: path)
        guard let toPixel = geoTransform.inverted(), let crs = dataset.spatialReference?.horizontal else {
            throw GeometryError.demNotGeoreferenced(dem: path, reason: "no invertible geotransform and CRS")
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
        guard need.x0 >= 0, need.y0 >= 0, need.x1 <= Double(width), need.y1 <= Double(height) else {
            let a = geoTransform.apply(pixel: 0, line: 0), b = geoTransform.apply(pixel: Double(width), line: Double(height))
            let extent = crs.isGeographic
                ? GroundBox(minLongitude: min(a.x, b.x), maxLongitude: max(a.x, b.x), minLatitude: min(a.y, b.y), maxLatitude: max(a.y, b.y))
                : nil
            throw GeometryError.demDoesNotCover(dem: path, area: required, demArea: extent)
        }
        let want = try pixelBox(wanted.map { $0.union(required) } ?? required)
        let x0 = max(0, Int(want.x0.rounded(.down)) - 2), y0 = max(0, Int(want.y0.rounded(.down)) - 2)
        let x1 = min(width, Int(want.x1.rounded(.up)) + 2), y1 = min(height, Int(want.y1.rounded(.up)) + 2)
        return Window(x: x0, y: y0, width: x1 - x0, height: y1 - y0)
    }

    /// The file's nodata value as NaN.
    private func clearNodata(_ values: inout ImageBuffer<Float>) {
        guard let nodata, !nodata.isNaN else { return }
        let marker = Float(nodata)
        for k in values.storage.indices where values.storage[k] == marker { values.storage[k] = .nan }
    }
}
