/// Why a request was rejected (at submit, and again before a worker uses it).
public enum RequestError: Error, CustomStringConvertible, Sendable, Equatable {
    case malformed(String)
    case unsupportedVersion(Int, supported: Int)
    case unknownKind(String)
    case unknownFields([String], in: String)
    case invalid(field: String, String)
    case missingFile(field: String, path: String)
    case outsideRoots(field: String, path: String, resolved: String, roots: [String])
    case notAvailable(String)

    public var description: String {
        switch self {
        case .malformed(let s): "malformed request: \(s)"
        case .unsupportedVersion(let v, let s): "request version \(v) is not supported (this worker reads version \(s))"
        case .unknownKind(let k): "unknown request kind '\(k)' (dsm or pwh)"
        case .unknownFields(let f, let where_): "unknown field(s) in \(where_): \(f.joined(separator: ", "))"
        case .invalid(let field, let s): "\(field): \(s)"
        case .missingFile(let field, let path): "\(field): no such file '\(path)'"
        case .outsideRoots(let field, let path, let resolved, let roots):
            "\(field): '\(path)' resolves to '\(resolved)', outside the allowed root(s) \(roots.joined(separator: ", "))"
        case .notAvailable(let s): s
        }
    }
}
