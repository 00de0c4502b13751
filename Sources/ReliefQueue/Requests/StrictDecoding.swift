/// A coding key for any string, to list the keys a JSON object really has.
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ s: String) { stringValue = s }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// Throws `RequestError.unknownFields` when the object being decoded has keys outside `allowed`.
func rejectUnknownKeys(_ decoder: any Decoder, allowed: [String], in context: String) throws {
    let c = try decoder.container(keyedBy: AnyKey.self)
    let known = Set(allowed)
    let unknown = c.allKeys.map(\.stringValue).filter { !known.contains($0) }.sorted()
    if !unknown.isEmpty { throw RequestError.unknownFields(unknown, in: context) }
}
