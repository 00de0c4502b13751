import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A small read-only XML element tree (name, text, children), built with `XMLParser`, enough to
/// read RPC metadata files (at most a few MB).
final class XMLNode {
    let name: String
    var text = ""
    var children: [XMLNode] = []

    init(name: String) { self.name = name }

    /// The first child with this name.
    func child(_ name: String) -> XMLNode? { children.first { $0.name == name } }

    /// Follows a path of child names ("Global_RFM/Direct_Model").
    func path(_ path: String) -> XMLNode? {
        var node: XMLNode? = self
        for part in path.split(separator: "/") { node = node?.child(String(part)) }
        return node
    }

    /// The first element with this name anywhere below (depth first), self included.
    func find(_ name: String) -> XMLNode? {
        if self.name == name { return self }
        for c in children { if let hit = c.find(name) { return hit } }
        return nil
    }

    var trimmedText: String { text.trimmingCharacters(in: .whitespacesAndNewlines) }

    /// Parses a file; nil when it is not well-formed XML.
    static func parse(contentsOf path: String) -> XMLNode? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return parse(data)
    }

    static func parse(_ data: Data) -> XMLNode? {
        // Foundation's parser on Linux traps on an element name or attribute that is not valid
        // UTF-8 (libxml2 hands it over as is): such a file is refused here, unless its prolog
        // declares, well-formed, a single-byte encoding libxml2 converts to UTF-8 itself.
        guard String(data: data, encoding: .utf8) != nil || declaresSingleByteEncoding(data) else { return nil }
        let parser = XMLParser(data: data)
        let builder = Builder()
        parser.delegate = builder
        // A truncated file can parse "successfully" on Linux: require every element closed.
        guard parser.parse(), builder.stack.isEmpty, let root = builder.root else { return nil }
        return root
    }

    /// Encodings in which every byte is a character (ISO-8859-n, Windows-125n) or, for bytes
    /// that are none, libxml2 stops with an error: what it converts to UTF-8 never holds
    /// invalid UTF-8.
    static let singleByteEncodings: Set<String> = Set((1...16).map { "iso-8859-\($0)" } + (1250...1258).map { "windows-\($0)" }
        + ["latin1", "latin-1", "iso8859-1", "iso_8859-1", "cp1252", "us-ascii", "ascii"])

    /// Whether the XML declaration names, between matching quotes, one of
    /// `singleByteEncodings` (`<?xml version="1.0" encoding="ISO-8859-1"?>`). A misspelt or
    /// damaged declaration is not one: libxml2 would then pass the bytes through unconverted.
    static func declaresSingleByteEncoding(_ data: Data) -> Bool {
        let bytes = [UInt8](data.prefix(256))
        guard bytes.starts(with: Array("<?xml".utf8)), let close = find(Array("?>".utf8), in: bytes),
              let key = find(Array("encoding=".utf8), in: Array(bytes[..<close])) else { return false }
        let rest = bytes[(key + 9)..<close]
        guard let quote = rest.first, quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'"),
              let end = rest.dropFirst().firstIndex(of: quote) else { return false }
        let value = rest[(rest.startIndex + 1)..<end]
        guard value.allSatisfy({ $0 < 0x80 }) else { return false }
        return singleByteEncodings.contains(String(decoding: value, as: UTF8.self).lowercased())
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        return (0...(haystack.count - needle.count)).first { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
    }

    private final class Builder: NSObject, XMLParserDelegate {
        var root: XMLNode?
        var stack: [XMLNode] = []

        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                    qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
            let node = XMLNode(name: elementName)
            if let parent = stack.last { parent.children.append(node) } else { root = node }
            stack.append(node)
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
            _ = stack.popLast()
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            stack.last?.text += string
        }
    }
}
