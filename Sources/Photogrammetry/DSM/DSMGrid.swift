import Raster

/// A north-up DSM grid in a projected CRS: square cells of `resolution` metres, `width` x
/// `height` cells, the top-left corner of cell (0, 0) at (`originX`, `originY`).
///
/// Cell (column, row) covers [originX + column·r, originX + (column+1)·r) in x and
/// (originY - (row+1)·r, originY - row·r] in y; a point belongs to the cell
/// `(floor((x - originX) / r), floor((originY - y) / r))` (plyflatten's rule, so a point on a
/// west or north cell edge belongs to that cell).
public struct DSMGrid: Hashable, Sendable {
    public let originX: Double
    public let originY: Double
    public let resolution: Double
    public let width: Int
    public let height: Int
    /// Horizontal CRS of the grid, nil when unknown.
    public let epsg: Int?

    /// - Throws: `DSMError.invalidGrid` for a non-positive size or resolution or a non-finite origin.
    public init(originX: Double, originY: Double, resolution: Double, width: Int, height: Int, epsg: Int? = nil) throws {
        guard resolution > 0, resolution.isFinite else { throw DSMError.invalidGrid(reason: "resolution \(resolution) is not positive") }
        guard originX.isFinite, originY.isFinite else { throw DSMError.invalidGrid(reason: "origin (\(originX), \(originY)) is not finite") }
        guard width > 0, height > 0 else { throw DSMError.invalidGrid(reason: "size \(width)x\(height) is empty") }
        guard width <= Int(Int32.max), height <= Int(Int32.max) else {
            throw DSMError.invalidGrid(reason: "size \(width)x\(height) is too large")
        }
        self.originX = originX
        self.originY = originY
        self.resolution = resolution
        self.width = width
        self.height = height
        self.epsg = epsg
    }

    /// The grid s2p's plyflatten derives from the points' bounds (plyflatten
    /// `plyflatten_from_plyfiles_list`, roi None): corners snapped outwards to multiples of the
    /// resolution,
    ///
    ///     originX = floor(minX / r) · r,   width  = 1 + floor((maxX - originX) / r)
    ///     originY =  ceil(maxY / r) · r,   height = 1 - floor((minY - originY) / r)
    ///
    /// so every point falls in a cell. The height formula is 1 + ceil((originY - minY) / r): one
    /// more row than needed (left empty) whenever minY is not on a cell edge; kept, since the
    /// reference DSMs have it. Computed in the same Double operations as numpy.
    public static func plyflatten(bounds: GroundBounds, resolution: Double, epsg: Int? = nil) throws -> DSMGrid {
        guard resolution > 0, resolution.isFinite else { throw DSMError.invalidGrid(reason: "resolution \(resolution) is not positive") }
        let x0 = (bounds.minX / resolution).rounded(.down) * resolution
        let y0 = (bounds.maxY / resolution).rounded(.up) * resolution
        let w = 1 + ((bounds.maxX - x0) / resolution).rounded(.down)
        let h = 1 - ((bounds.minY - y0) / resolution).rounded(.down)
        guard w.isFinite, h.isFinite, w < Double(Int32.max), h < Double(Int32.max) else {
            throw DSMError.invalidGrid(reason: "bounds \(bounds) at resolution \(resolution) give a \(w)x\(h) grid")
        }
        return try DSMGrid(originX: x0, originY: y0, resolution: resolution, width: Int(w), height: Int(h), epsg: epsg)
    }

    /// plyflatten's grid for a cloud (its finite points), in the cloud's CRS.
    /// - Throws: `DSMError.emptyCloud` when no point is finite.
    public static func plyflatten(cloud: PointCloud, resolution: Double, source: String = "the point cloud") throws -> DSMGrid {
        guard let bounds = cloud.bounds else { throw DSMError.emptyCloud(source: source) }
        return try plyflatten(bounds: bounds, resolution: resolution, epsg: cloud.epsg)
    }

    /// The smallest grid with its top-left corner at (minX, maxY) whose cells cover `bounds`
    /// (width = max(1, ceil((maxX - minX) / r)), likewise height). Points exactly on the east or
    /// south edge of `bounds` may then fall just outside; use `plyflatten(bounds:)` to keep them.
    public init(covering bounds: GroundBounds, resolution: Double, epsg: Int? = nil) throws {
        guard resolution > 0, resolution.isFinite else { throw DSMError.invalidGrid(reason: "resolution \(resolution) is not positive") }
        let w = ((bounds.maxX - bounds.minX) / resolution).rounded(.up)
        let h = ((bounds.maxY - bounds.minY) / resolution).rounded(.up)
        guard w.isFinite, h.isFinite, w >= 0, h >= 0, w < Double(Int32.max), h < Double(Int32.max) else {
            throw DSMError.invalidGrid(reason: "bounds \(bounds) at resolution \(resolution) give a \(w)x\(h) grid")
        }
        try self.init(originX: bounds.minX, originY: bounds.maxY, resolution: resolution,
                      width: max(1, Int(w)), height: max(1, Int(h)), epsg: epsg)
    }

    /// GDAL's corner-based geotransform of the grid.
    public var geoTransform: GeoTransform {
        GeoTransform(originX: originX, originY: originY, pixelWidth: resolution, pixelHeight: resolution)
    }

    /// The whole grid as a window.
    public var window: Window { Window(x: 0, y: 0, width: width, height: height) }

    /// The column holding easting `x` (may be outside 0..<width): floor((x - originX) / r).
    @inlinable public func column(x: Double) -> Double { ((x - originX) / resolution).rounded(.down) }

    /// The row holding northing `y` (may be outside 0..<height): floor((originY - y) / r).
    @inlinable public func row(y: Double) -> Double { ((originY - y) / resolution).rounded(.down) }

    /// Georeferenced centre of cell (column, row).
    public func centre(column: Int, row: Int) -> (x: Double, y: Double) {
        (originX + resolution * (Double(column) + 0.5), originY - resolution * (Double(row) + 0.5))
    }
}
