import Dispatch
import Foundation
import Raster

/// Orthorectifies a sensor image (path + RPC) onto a map grid: for each output pixel, its height
/// (`OrthoHeightSource`), the RPC projection into the image (`coarseInverseMap` + batched
/// projection) and a resampling of all bands (`resampleSensor`).
///
///     let ortho = try Orthorectifier(image: "IMG.tif", heights: .dem(path: "N44E005.hgt", geoid: egm96))
///     let summary = try ortho.write(to: "ortho.tif", options: OrthoOptions(resampling: .bicubic))
///
/// The DSM pipeline can texture its own grid: `Orthorectifier(image:, heights: .grid(dsm), grid: dsmGrid)`
/// and `orthorectify()` (in memory) or `write(to:)`.
public struct Orthorectifier: Sendable {
    public let image: String
    public let model: RPCModel
    public let imageWidth: Int, imageHeight: Int, bandCount: Int
    public let pixelType: PixelType
    /// The image's nodata value (band 1), if any: such pixels are no data in the output too.
    public let imageNodata: Double?
    public let grid: OrthoGrid
    let heights: ResolvedHeights

    /// - Parameters:
    ///   - model: the RPC; by default `RPCModel.load(image:)` (embedded, sidecar, CNES crop offset).
    ///   - grid: the output grid; by default the footprint's bounding box over the heights used, in
    ///     `epsg` (default: the UTM zone of the footprint centre) at `resolution` (default: the
    ///     image's ground sampling distance, `OrthoGrid.roundedResolution`).
    /// - Throws: `RPCError.noRPC`, `GeometryError.demDoesNotCover` / `.demHasNoData` / `.demNeedsGeoid`,
    ///   `OrthoError.invalidResolution` / `.gridTooLarge` / `.gridDoesNotSeeImage`, `RasterError`.
    public init(image: String, model: RPCModel? = nil, heights source: OrthoHeightSource, grid: OrthoGrid? = nil,
                resolution: Double? = nil, epsg: Int? = nil) throws {
        if let resolution, !(resolution > 0 && resolution.isFinite) { throw OrthoError.invalidResolution(resolution) }
        let dataset = try Dataset(path: image)
        let rpc = try model ?? RPCModel.load(image: image)
        self.image = image
        self.model = rpc
        imageWidth = dataset.width
        imageHeight = dataset.height
        bandCount = dataset.bandCount
        pixelType = try dataset.pixelType()
        imageNodata = try dataset.nodata()
        let whole = Window(width: imageWidth, height: imageHeight)

        // Heights bounding the terrain, for the footprint.
        var range: ClosedRange<Double>
        var resolvedRaster: HeightRaster?
        switch source {
        case .constant(let h): range = h...h
        case .dem(let path, let geoid):
            let box = try Self.bounds(rpc.footprint(of: whole, height: rpc.coefficients.heightOffset, image: image))
            range = try HeightRange.fromDEM(path, covering: box, geoid: geoid, margin: 0).closedRange
        case .grid(let g):
            guard let r = g.valueRange else { throw OrthoError.invalidHeightGrid(reason: "\(g.source) holds no height") }
            range = try Self.ellipsoidal(r, geoid: g.geoid, rpc)
        case .raster(let path, let geoid):
            let raster = try HeightRaster(path: path, geoid: geoid)
            guard let r = try raster.valueRange() else { throw OrthoError.invalidHeightGrid(reason: "\(path) holds no height") }
            range = try Self.ellipsoidal(r, geoid: geoid, rpc)
            resolvedRaster = raster
        }
        let low = try rpc.footprint(of: whole, height: range.lowerBound, image: image)
        let high = try rpc.footprint(of: whole, height: range.upperBound, image: image)
        let footprintBox = try Self.bounds(low).union(Self.bounds(high))
        let vertices = low.polygon.vertices + high.polygon.vertices

        if let grid {
            self.grid = grid
        } else {
            let code = epsg ?? SpatialReference.utmEPSG(longitude: (footprintBox.minLongitude + footprintBox.maxLongitude) / 2,
                                                         latitude: (footprintBox.minLatitude + footprintBox.maxLatitude) / 2)
            let toGrid = try CoordinateTransformation(from: SpatialReference(epsg: 4326), to: SpatialReference(epsg: code))
            var xs = vertices.map(\.x), ys = vertices.map(\.y), zs = [Double](repeating: 0, count: vertices.count)
            try toGrid.transform(x: &xs, y: &ys, z: &zs)
            let r = try resolution ?? OrthoGrid.roundedResolution(Self.groundSamplingDistance(rpc, whole, height: (range.lowerBound + range.upperBound) / 2, epsg: code))
            self.grid = try OrthoGrid.covering(minX: xs.min()!, minY: ys.min()!, maxX: xs.max()!, maxY: ys.max()!, resolution: r, epsg: code)
        }
        let gridBox = try Self.lonLatBounds(of: self.grid)
        guard gridBox.minLongitude <= footprintBox.maxLongitude, gridBox.maxLongitude >= footprintBox.minLongitude,
              gridBox.minLatitude <= footprintBox.maxLatitude, gridBox.maxLatitude >= footprintBox.minLatitude else {
            throw OrthoError.gridDoesNotSeeImage(image: image)
        }
        switch source {
        case .constant(let h): heights = .constant(h)
        case .dem(let path, let geoid):
            let required = GroundBox(minLongitude: max(footprintBox.minLongitude, gridBox.minLongitude), maxLongitude: min(footprintBox.maxLongitude, gridBox.maxLongitude),
                                     minLatitude: max(footprintBox.minLatitude, gridBox.minLatitude), maxLatitude: min(footprintBox.maxLatitude, gridBox.maxLatitude))
            // Checked to cover the footprint, then read tile by tile (`OrthoHeightSource.raster`).
            let raster = try HeightRaster(path: path, geoid: geoid)
            _ = try raster.samples(covering: required)
            heights = .raster(raster)
        case .grid(let g): heights = .grid(g)
        case .raster: heights = .raster(resolvedRaster!)
        }
    }

    /// A height range `r` above `geoid` (nil: already ellipsoidal) as ellipsoidal heights: shifted
    /// by the undulation at the model's centre, widened by 2 m (undulations vary by less over a
    /// scene).
    static func ellipsoidal(_ r: ClosedRange<Double>, geoid: Geoid?, _ rpc: RPCModel) throws -> ClosedRange<Double> {
        guard let geoid else { return r }
        let n = try geoid.undulation(longitude: rpc.coefficients.longitudeOffset, latitude: rpc.coefficients.latitudeOffset)
        return (r.lowerBound + n - 2)...(r.upperBound + n + 2)
    }

    static func bounds(_ footprint: Footprint) throws -> GroundBox {
        guard let box = footprint.polygon.bounds else { throw OrthoError.gridDoesNotSeeImage(image: footprint.image) }
        return box
    }

    /// The lon/lat box of a grid (its border sampled every eighth of a side).
    static func lonLatBounds(of grid: OrthoGrid) throws -> GroundBox {
        var xs: [Double] = [], ys: [Double] = []
        for k in 0...8 {
            let t = Double(k) / 8
            for (i, j) in [(t, 0.0), (t, 1.0), (0.0, t), (1.0, t)] {
                xs.append(grid.originX + i * Double(grid.width) * grid.resolution)
                ys.append(grid.originY - j * Double(grid.height) * grid.resolution)
            }
        }
        var zs = [Double](repeating: 0, count: xs.count)
        try CoordinateTransformation(from: SpatialReference(epsg: grid.epsg), to: SpatialReference(epsg: 4326)).transform(x: &xs, y: &ys, z: &zs)
        return GroundBox(minLongitude: xs.min()!, maxLongitude: xs.max()!, minLatitude: ys.min()!, maxLatitude: ys.max()!)
    }

    /// Ground size of the image's centre pixel at a height: the square root of the area of the
    /// ground parallelogram spanned by one column and one row step, in metres of `epsg`.
    static func groundSamplingDistance(_ rpc: RPCModel, _ window: Window, height: Double, epsg: Int) throws -> Double {
        let c = Double(window.x) + Double(window.width) / 2, r = Double(window.y) + Double(window.height) / 2
        let g = try rpc.localize(columns: [c, c + 1, c], rows: [r, r, r + 1], heights: [height, height, height])
        var xs = g.longitudes, ys = g.latitudes, zs = [0.0, 0, 0]
        try CoordinateTransformation(from: SpatialReference(epsg: 4326), to: SpatialReference(epsg: epsg)).transform(x: &xs, y: &ys, z: &zs)
        let ax = xs[1] - xs[0], ay = ys[1] - ys[0], bx = xs[2] - xs[0], by = ys[2] - ys[0]
        return abs(ax * by - ay * bx).squareRoot()
    }
}
