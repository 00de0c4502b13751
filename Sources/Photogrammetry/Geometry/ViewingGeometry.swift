import Foundation

/// The direction from which an image sees a ground point, from its RPC model alone.
public struct ViewingDirection: Sendable, Equatable {
    /// Unit vector from the ground towards the satellite, Earth-centred Earth-fixed.
    public let ecef: SIMD3<Double>
    /// Angle above the local horizon (ellipsoid tangent plane), degrees; 90 = nadir view.
    public let elevation: Double
    /// Azimuth of the satellite seen from the ground, degrees clockwise from north, in [0, 360).
    public let azimuth: Double
}

extension RPCModel {
    /// Height step used to trace a line of sight (metres either side of the point): the RPC line
    /// of sight is straight to better than 1e-3 px over a kilometre for pushbroom sensors.
    public static let lineOfSightStep = 100.0

    /// The line of sight through the ground point (lon, lat, h): the image point seeing it,
    /// localised `lineOfSightStep` m above and below, gives the direction.
    /// - Throws: `RPCError.localizationDidNotConverge`.
    public func viewingDirection(longitude: Double, latitude: Double, height: Double) throws -> ViewingDirection {
        let p = projection(longitude: longitude, latitude: latitude, height: height)
        let dh = RPCModel.lineOfSightStep
        let up = try localization(column: p.column, row: p.row, height: height + dh)
        let down = try localization(column: p.column, row: p.row, height: height - dh)
        let a = WGS84.ecef(longitude: up.longitude, latitude: up.latitude, height: height + dh)
        let b = WGS84.ecef(longitude: down.longitude, latitude: down.latitude, height: height - dh)
        let d = a - b
        let u = d / (d * d).sum().squareRoot()
        // Local east, north, up at the point.
        let phi = latitude * .pi / 180, lambda = longitude * .pi / 180
        let east = SIMD3(-sin(lambda), cos(lambda), 0)
        let north = SIMD3(-sin(phi) * cos(lambda), -sin(phi) * sin(lambda), cos(phi))
        let zenith = SIMD3(cos(phi) * cos(lambda), cos(phi) * sin(lambda), sin(phi))
        let elevation = asin(min(1, max(-1, (u * zenith).sum()))) * 180 / .pi
        var azimuth = atan2((u * east).sum(), (u * north).sum()) * 180 / .pi
        if azimuth < 0 { azimuth += 360 }
        return ViewingDirection(ecef: u, elevation: elevation, azimuth: azimuth)
    }
}

/// How a secondary image sees the reference's ground relative to the reference: the
/// convergence angle of the two lines of sight and the parallax per metre of height.
public struct PairViewing: Sendable, Equatable {
    /// The ground point the quantities are computed at (the ROI centre localised at the middle
    /// of the height range): longitude, latitude (degrees), height (m above the ellipsoid).
    public let point: SIMD3<Double>
    public let reference: ViewingDirection
    public let secondary: ViewingDirection
    /// Angle between the two lines of sight, degrees.
    public let convergence: Double
    /// Parallax per metre of height: moving along the reference pixel's line of sight by 1 m of
    /// height moves its image in the secondary by this many pixels (the disparity per metre
    /// along the epipolar direction, for a rectification that keeps the secondary's pixel size).
    public let pixelsPerMetre: Double
    /// The epipolar direction in the secondary image at that point: the unit (column, row)
    /// vector of the parallax when the height increases.
    public let epipolarDirection: SIMD2<Double>

    /// Metres of height per pixel of disparity: CARS's `disp_to_alt_ratio`.
    public var metresPerPixel: Double { 1 / pixelsPerMetre }

    /// The disparity interval a height range spans, relative to the disparity of `height0`
    /// (d(h) = (h - height0) · pixelsPerMetre, positive towards `epipolarDirection`). The offset
    /// and the sign of the final disparities depend on the rectification (a later step).
    public func disparities(for heights: HeightRange, relativeTo height0: Double) -> ClosedRange<Double> {
        let a = (heights.lower - height0) * pixelsPerMetre, b = (heights.upper - height0) * pixelsPerMetre
        return min(a, b)...max(a, b)
    }

    /// The width in pixels of the disparity range of a height range.
    public func disparitySpan(for heights: HeightRange) -> Double { heights.span * pixelsPerMetre }

    /// The viewing geometry at reference pixel (column, row) and height `height`.
    /// - Throws: `RPCError.localizationDidNotConverge`.
    public init(reference: RPCModel, secondary: RPCModel, column: Double, row: Double, height: Double) throws {
        let g = try reference.localization(column: column, row: row, height: height)
        point = SIMD3(g.longitude, g.latitude, height)
        self.reference = try reference.viewingDirection(longitude: g.longitude, latitude: g.latitude, height: height)
        self.secondary = try secondary.viewingDirection(longitude: g.longitude, latitude: g.latitude, height: height)
        let cosine = (self.reference.ecef * self.secondary.ecef).sum()
        convergence = acos(min(1, max(-1, cosine))) * 180 / .pi
        // Walk the reference pixel's line of sight by ± dh and see it move in the secondary.
        let dh = RPCModel.lineOfSightStep
        let up = try reference.localization(column: column, row: row, height: height + dh)
        let down = try reference.localization(column: column, row: row, height: height - dh)
        let a = secondary.projection(longitude: up.longitude, latitude: up.latitude, height: height + dh)
        let b = secondary.projection(longitude: down.longitude, latitude: down.latitude, height: height - dh)
        let d = SIMD2(a.column - b.column, a.row - b.row)
        let length = (d * d).sum().squareRoot()
        pixelsPerMetre = length / (2 * dh)
        epipolarDirection = length > 0 ? d / length : SIMD2(.nan, .nan)
    }
}
