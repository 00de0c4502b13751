import Foundation

/// A JSON document decoded strictly, so that the execute parser sees what the client wrote:
/// `true` is a boolean and never the number 1, `1.5` is not an integer, `"NaN"` is a string,
/// a number beyond Int64 that is not a finite Double is a decoding error. Nesting deeper than
/// the decoder's limit (512 levels in Foundation's `JSONDecoder`) is a decoding error too, not
/// a stack overflow.
enum JSONValue: Decodable, Equatable, Sendable {
    case null
    case bool(Bool)
    /// A number written without fraction or exponent that fits an Int.
    case integer(Int)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null; return }
        // Order matters: Foundation's decoder refuses a boolean as a number and a number as a
        // boolean, so the first type that decodes is the one written.
        if let b = try? c.decode(Bool.self) { self = .bool(b); return }
        if let i = try? c.decode(Int.self) { self = .integer(i); return }
        if let d = try? c.decode(Double.self) { self = .number(d); return }
        if let s = try? c.decode(String.self) { self = .string(s); return }
        if let a = try? c.decode([JSONValue].self) { self = .array(a); return }
        self = .object(try c.decode([String: JSONValue].self))
    }

    /// Decodes a request body; the error says why the text is not JSON.
    static func parse(_ data: Data) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: data)
    }

    /// The value as a number (integers included), nil for any other type.
    var number: Double? {
        switch self {
        case .integer(let i): Double(i)
        case .number(let d): d
        default: nil
        }
    }

    /// A short description for error messages: scalars as written (strings cut at 40
    /// characters), containers by their size, so that a refusal never echoes a huge body.
    var summary: String {
        switch self {
        case .null: "null"
        case .bool(let b): "\(b)"
        case .integer(let i): "\(i)"
        case .number(let d): "\(d)"
        case .string(let s): s.count > 40 ? "a string of \(s.count) characters" : "\"\(s)\""
        case .array(let a): a.count <= 8 ? "[" + a.map(\.summary).joined(separator: ", ") + "]" : "an array of \(a.count) items"
        case .object(let o): "an object with \(o.count) field(s)"
        }
    }
}
