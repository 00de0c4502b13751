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
        // Foundation's parser on Linux traps on an element name that is not valid UTF-8 (libxml2
        // hands it over as is): such a file is refused here, unless its prolog declares another
        // encoding (libxml2 then converts it to UTF-8 itself).
        guard String(data: data, encoding: .utf8) != nil || declaresNonUTF8Encoding(data) else { return nil }
        let parser = XMLParser(data: data)
        let builder = Builder()
        parser.delegate = builder
        // A truncated file can parse "successfully" on Linux: require every element closed.
        guard parser.parse(), builder.stack.isEmpty, let root = builder.root else { return nil }
        return root
    }

    /// Whether the XML declaration names an encoding other than UTF-8 (`encoding="ISO-8859-1"`).
    static func declaresNonUTF8Encoding(_ data: Data) -> Bool {
        let head = String(decoding: data.prefix(256).map { $0 < 0x80 ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
        guard head.hasPrefix("<?xml") || head.drop(while: \.isWhitespace).hasPrefix("<?xml"),
              let close = head.range(of: "?>"), let key = head.range(of: "encoding=", range: head.startIndex..<close.lowerBound)
        else { return false }
        let value = head[key.upperBound..<close.lowerBound].drop { $0 == "\"" || $0 == "'" }.prefix { $0 != "\"" && $0 != "'" }
        return !["utf-8", "utf8"].contains(value.lowercased())
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
