/// A 3D point cloud in a projected CRS (easting `x`, northing `y`, height `z`, metres), with
/// optional extra per-point attributes (colour, confidence, ...). Structure of arrays: the
/// rasterisation kernels stream `x`, `y`, `z` without touching the rest.
public struct PointCloud: Sendable, Equatable {
    public var x: [Double]
    public var y: [Double]
    public var z: [Double]
    /// The horizontal CRS of `x`, `y` (e.g. 32740 for UTM 40S), nil when unknown.
    public var epsg: Int?
    /// Extra per-point values by name, each with `count` elements.
    public var attributes: [String: [Double]]

    public init(x: [Double], y: [Double], z: [Double], epsg: Int? = nil, attributes: [String: [Double]] = [:]) {
        precondition(x.count == y.count && y.count == z.count, "PointCloud: x, y, z of different lengths")
        precondition(attributes.values.allSatisfy { $0.count == x.count }, "PointCloud: an attribute of another length")
        self.x = x
        self.y = y
        self.z = z
        self.epsg = epsg
        self.attributes = attributes
    }

    public var count: Int { x.count }
    public var isEmpty: Bool { x.isEmpty }

    /// The horizontal bounds of the points whose x, y and z are all finite (the points the
    /// rasterisation uses); nil when there is none.
    /// - Complexity: O(count).
    public var bounds: GroundBounds? {
        var minX = Double.infinity, maxX = -Double.infinity
        var minY = Double.infinity, maxY = -Double.infinity
        for i in x.indices where x[i].isFinite && y[i].isFinite && z[i].isFinite {
            minX = min(minX, x[i]); maxX = max(maxX, x[i])
            minY = min(minY, y[i]); maxY = max(maxY, y[i])
        }
        guard minX <= maxX else { return nil }
        return GroundBounds(minX: minX, minY: minY, maxX: maxX, maxY: maxY)
    }
}

/// A horizontal rectangle in projected coordinates (metres), edges included.
public struct GroundBounds: Hashable, Sendable {
    public var minX: Double, minY: Double, maxX: Double, maxY: Double

    public init(minX: Double, minY: Double, maxX: Double, maxY: Double) {
        self.minX = minX
        self.minY = minY
        self.maxX = maxX
        self.maxY = maxY
    }
}
