/// Errors of the DSM step (point clouds, grids, rasterisation), each naming its input.
public enum DSMError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file cannot be opened or read at all.
    case cannotRead(path: String, reason: String)
    /// The file does not start with the `ply` magic line.
    case notPLY(path: String)
    /// A header line is not valid PLY (`line` is 1-based).
    case badPLYHeader(path: String, line: Int, reason: String)
    /// Valid PLY this reader does not handle (a list property in the vertices, a big header...).
    case unsupportedPLY(path: String, reason: String)
    /// The vertex element lacks a coordinate (`x`, `y` or `z`).
    case missingCoordinate(path: String, property: String)
    /// The body ends before the last vertex announced by the header.
    case truncatedPLY(path: String, expectedVertices: Int, readVertices: Int)
    /// An ASCII vertex line that does not parse.
    case badPLYValue(path: String, vertex: Int, reason: String)
    /// Nothing to rasterise (no point with finite coordinates).
    case emptyCloud(source: String)
    /// A grid that cannot exist (non-positive resolution or size, non-finite origin).
    case invalidGrid(reason: String)
    /// A step needs the cloud's CRS and it has none.
    case missingCRS(source: String)
    /// An output file (point cloud, tile store) that cannot be written.
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .cannotRead(let path, let reason): "cannot read \(path): \(reason)"
        case .notPLY(let path): "\(path) is not a PLY file (no 'ply' magic line)"
        case .badPLYHeader(let path, let line, let reason): "\(path): bad PLY header at line \(line): \(reason)"
        case .unsupportedPLY(let path, let reason): "\(path): unsupported PLY: \(reason)"
        case .missingCoordinate(let path, let property): "\(path): the vertex element has no '\(property)' property"
        case .truncatedPLY(let path, let expected, let read):
            "\(path) is truncated: the header announces \(expected) vertices, the body holds \(read)"
        case .badPLYValue(let path, let vertex, let reason): "\(path): vertex \(vertex): \(reason)"
        case .emptyCloud(let source): "\(source) holds no point with finite coordinates"
        case .invalidGrid(let reason): "invalid DSM grid: \(reason)"
        case .missingCRS(let source): "\(source) has no coordinate reference system (give an EPSG code)"
        case .writeFailed(let path, let reason): "cannot write \(path): \(reason)"
        }
    }
}
