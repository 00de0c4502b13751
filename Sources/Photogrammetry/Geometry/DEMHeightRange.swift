import Foundation
import Raster

extension HeightRange {
    /// Default margin added to a DEM's height range: SRTM's absolute vertical error is 16 m at
    /// 90 % (Rodríguez et al., "A global assessment of the SRTM performance", PE&RS 2006) and the
    /// surface model sees trees and buildings above the terrain model.
    public static let defaultDEMMargin = 50.0
    /// DEM samples `fromDEM` reads at a time (whole rows of its window, at least one).
    static let stripSamples = 1 << 20

    /// The range of a DEM's heights over a ground area, converted to ellipsoidal heights, grown
    /// by `margin` metres on each side.
    ///
    /// - Parameters:
    ///   - dem: any raster GDAL reads with a north-up geotransform and a CRS (SRTM `.hgt`,
    ///     GeoTIFF in degrees or UTM, ...). Nodata samples are skipped.
    ///   - area: the longitude/latitude box the scene needs (e.g. `Footprint.polygon.bounds`).
    ///   - geoid: when given, the DEM's heights are above this geoid and are converted sample by
    ///     sample (h = H + N). Without it they are taken as ellipsoidal, except for SRTM `.hgt`
    ///     files (always above EGM96), which then throw `demNeedsGeoid`.
    /// - Throws: `GeometryError.demDoesNotCover` (naming the DEM, the area needed and the DEM's
    ///   own extent), `.demHasNoData`, `.demNeedsGeoid`, `.demNotGeoreferenced`; `RasterError`
    ///   when the file cannot be read; `RPCError.geoidUndefined` outside the geoid grid.
    /// - Complexity: O(DEM samples in the area) time, O(`stripSamples`) memory (or one row).
    public static func fromDEM(
        _ dem: String, covering area: GroundBox, geoid: Geoid? = nil, margin: Double = HeightRange.defaultDEMMargin
    ) throws -> HeightRange {
        try fromDEM(dem, covering: area, geoid: geoid, margin: margin, stripSamples: stripSamples)
    }

    /// `fromDEM`, reading `stripSamples` samples at a time (the tests' small strips).
    static func fromDEM(
        _ dem: String, covering area: GroundBox, geoid: Geoid?, margin: Double, stripSamples: Int
    ) throws -> HeightRange {
        let dataset = try Dataset(path: dem)
        if geoid == nil, dem.lowercased().hasSuffix(".hgt") { throw GeometryError.demNeedsGeoid(dem: dem) }
        guard let gt = dataset.geoTransform, gt.isNorthUp, gt.array[1] > 0, gt.array[5] < 0, let toPixel = gt.inverted() else {
            throw GeometryError.demNotGeoreferenced(dem: dem, reason: "no north-up geotransform")
        }
        // Horizontal part only: the heights' datum is the caller's (`geoid`), never shifted by PROJ.
        guard let crs = dataset.spatialReference?.horizontal else {
            throw GeometryError.demNotGeoreferenced(dem: dem, reason: "no coordinate reference system")
        }
        let wgs84 = try SpatialReference(epsg: 4326)
        let geographic = crs.isGeographic
        // The area's border (corners and edge midpoints) in the DEM's CRS, then in pixel/line.
        let lons = [area.minLongitude, (area.minLongitude + area.maxLongitude) / 2, area.maxLongitude]
        let lats = [area.minLatitude, (area.minLatitude + area.maxLatitude) / 2, area.maxLatitude]
        var xs = lons.flatMap { lon in lats.map { _ in lon } }
        var ys = lons.flatMap { _ in lats }
        if !geographic {
            var zs = [Double](repeating: 0, count: xs.count)
            try CoordinateTransformation(from: wgs84, to: crs).transform(x: &xs, y: &ys, z: &zs)
        }
        let pixels = zip(xs, ys).map { toPixel.apply(pixel: $0, line: $1) }
        let p0 = pixels.map(\.x).min()!, p1 = pixels.map(\.x).max()!
        let l0 = pixels.map(\.y).min()!, l1 = pixels.map(\.y).max()!
        guard p0 >= 0, l0 >= 0, p1 <= Double(dataset.width), l1 <= Double(dataset.height) else {
            throw GeometryError.demDoesNotCover(dem: dem, area: area, demArea: geographic ? Self.extent(of: dataset, gt) : nil)
        }
        // Samples (centres at +0.5) that bilinear interpolation anywhere in the area would use.
        let x0 = max(0, Int((p0 - 0.5).rounded(.down))), x1 = min(dataset.width - 1, Int((p1 - 0.5).rounded(.down)) + 1)
        let y0 = max(0, Int((l0 - 0.5).rounded(.down))), y1 = min(dataset.height - 1, Int((l1 - 0.5).rounded(.down)) + 1)
        let window = Window(x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1)
        let nodata = try dataset.nodata()
        let toGeographic = geoid != nil && !geographic ? try CoordinateTransformation(from: crs, to: wgs84) : nil
        // Strips of whole rows (memory bounded by a strip whatever the area): each strip's valid
        // samples, converted to ellipsoidal heights, widen the range.
        var lowest = Double.infinity, highest = -Double.infinity, count = 0
        let stripRows = max(1, stripSamples / window.width)
        for y in stride(from: window.y, to: window.maxY, by: stripRows) {
            let strip = Window(x: window.x, y: y, width: window.width, height: min(stripRows, window.maxY - y))
            let values = try dataset.read(Double.self, band: 1, window: strip)
            var heights: [Double] = [], sx: [Double] = [], sy: [Double] = []
            for row in 0..<strip.height {
                for col in 0..<strip.width {
                    let v = values[col, row]
                    if !v.isFinite { continue }
                    if let nodata, v == nodata { continue }
                    let g = gt.apply(pixel: Double(strip.x + col) + 0.5, line: Double(strip.y + row) + 0.5)
                    heights.append(v)
                    sx.append(g.x)
                    sy.append(g.y)
                }
            }
            if let geoid, !heights.isEmpty {
                if let toGeographic {
                    var zs = [Double](repeating: 0, count: sx.count)
                    try toGeographic.transform(x: &sx, y: &sy, z: &zs)
                }
                heights = try geoid.ellipsoidHeights(geoidHeights: heights, longitudes: sx, latitudes: sy)
            }
            for h in heights {
                lowest = min(lowest, h)
                highest = max(highest, h)
            }
            count += heights.count
        }
        guard count > 0 else { throw GeometryError.demHasNoData(dem: dem, area: area) }
        let name = URL(fileURLWithPath: dem).lastPathComponent
        let datum = geoid.map { " converted from " + URL(fileURLWithPath: $0.source).lastPathComponent } ?? ""
        return try HeightRange(lower: lowest - margin, upper: highest + margin,
                               origin: "DEM \(name)\(datum), \(count) samples, ± \(margin) m")
    }

    /// The lon/lat extent of a geographic DEM (pixel corners).
    private static func extent(of dataset: Dataset, _ gt: GeoTransform) -> GroundBox {
        let a = gt.apply(pixel: 0, line: 0), b = gt.apply(pixel: Double(dataset.width), line: Double(dataset.height))
        return GroundBox(minLongitude: min(a.x, b.x), maxLongitude: max(a.x, b.x), minLatitude: min(a.y, b.y), maxLatitude: max(a.y, b.y))
    }
}
