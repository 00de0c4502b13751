/// What can go wrong reading or using an RPC model; each case names the file or the point.
public enum RPCError: Error, CustomStringConvertible, Sendable, Equatable {
    case noRPC(source: String)
    case missingField(String, source: String)
    case badValue(String, String, source: String)

    public var description: String {
        switch self {
        case .noRPC(let source): "no RPC model found in \(source)"
        case .missingField(let key, let source): "RPC field \(key) missing in \(source)"
        case .badValue(let key, let value, let source): "RPC field \(key) of \(source) is not valid: \(value)"
        }
    }
}
