/// What can go wrong reading or using an RPC model; each case names the file or the point.
public enum RPCError: Error, CustomStringConvertible, Sendable, Equatable {
    case noRPC(source: String)
    case missingField(String, source: String)
    case badValue(String, String, source: String)
    /// The file is readable but is no RPC format this library knows (or holds several models).
    case unsupportedFormat(source: String, reason: String)
    /// Newton iterations of image-to-ground localisation did not reach the tolerance.
    case localizationDidNotConverge(iterations: Int, column: Double, row: Double, height: Double, residual: Double)
    /// Triangulation needs at least two views.
    case notEnoughViews(Int)
    /// Gauss-Newton triangulation did not converge (or the rays are parallel).
    case triangulationDidNotConverge(iterations: Int, views: Int)
    case fittingFailed(String)
    /// A geoid lookup outside the grid, or at a no-data cell.
    case geoidUndefined(longitude: Double, latitude: Double, source: String)

    public var description: String {
        switch self {
        case .noRPC(let source): "no RPC model found in \(source)"
        case .missingField(let key, let source): "RPC field \(key) missing in \(source)"
        case .badValue(let key, let value, let source): "RPC field \(key) of \(source) is not valid: \(value)"
        case .unsupportedFormat(let source, let reason): "\(source) is not a supported RPC file: \(reason)"
        case .localizationDidNotConverge(let iterations, let col, let row, let h, let residual):
            "localisation of pixel (col \(col), row \(row)) at height \(h) m did not converge in \(iterations) iterations (re-projection error \(residual) px)"
        case .notEnoughViews(let n): "triangulation needs at least 2 views, got \(n)"
        case .triangulationDidNotConverge(let iterations, let views):
            "triangulation of \(views) views did not converge in \(iterations) iterations (parallel or inconsistent rays?)"
        case .fittingFailed(let reason): "RPC fit failed: \(reason)"
        case .geoidUndefined(let lon, let lat, let source): "geoid \(source) has no value at lon \(lon), lat \(lat)"
        }
    }
}
