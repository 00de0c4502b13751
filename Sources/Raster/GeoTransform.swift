/// GDAL's affine geotransform: georeferenced (X, Y) of the pixel/line position (p, l), where
/// (0, 0) is the top-left corner of the first pixel and (0.5, 0.5) its centre:
/// X = c[0] + p c[1] + l c[2],  Y = c[3] + p c[4] + l c[5].
public struct GeoTransform: Hashable, Sendable, CustomStringConvertible {
    public var coefficients: (Double, Double, Double, Double, Double, Double)

    public init(_ c0: Double, _ c1: Double, _ c2: Double, _ c3: Double, _ c4: Double, _ c5: Double) {
        coefficients = (c0, c1, c2, c3, c4, c5)
    }

    /// North-up grid: top-left corner (originX, originY), square-or-not pixel size, y going down.
    public init(originX: Double, originY: Double, pixelWidth: Double, pixelHeight: Double) {
        self.init(originX, pixelWidth, 0, originY, 0, -pixelHeight)
    }

    /// GDAL's default when a file has none: pixel/line coordinates themselves.
    public static let identity = GeoTransform(0, 1, 0, 0, 0, 1)

    public var array: [Double] {
        [coefficients.0, coefficients.1, coefficients.2, coefficients.3, coefficients.4, coefficients.5]
    }

    public init(_ array: [Double]) {
        precondition(array.count == 6, "GeoTransform needs 6 coefficients")
        self.init(array[0], array[1], array[2], array[3], array[4], array[5])
    }

    public var isNorthUp: Bool { coefficients.2 == 0 && coefficients.4 == 0 }

    /// Georeferenced coordinates of pixel/line position (p, l) (corner convention).
    public func apply(pixel p: Double, line l: Double) -> (x: Double, y: Double) {
        let c = coefficients
        return (c.0 + p * c.1 + l * c.2, c.3 + p * c.4 + l * c.5)
    }

    /// The inverse transform (georeferenced -> pixel/line), nil if the matrix is singular.
    public func inverted() -> GeoTransform? {
        let c = coefficients
        let det = c.1 * c.5 - c.2 * c.4
        guard det != 0, det.isFinite else { return nil }
        let a = c.5 / det, b = -c.2 / det, d = -c.4 / det, e = c.1 / det
        return GeoTransform(-(a * c.0 + b * c.3), a, b, -(d * c.0 + e * c.3), d, e)
    }

    public static func == (lhs: GeoTransform, rhs: GeoTransform) -> Bool { lhs.array == rhs.array }
    public func hash(into hasher: inout Hasher) { hasher.combine(array) }
    public var description: String { "GeoTransform(\(array.map { "\($0)" }.joined(separator: ", ")))" }
}
