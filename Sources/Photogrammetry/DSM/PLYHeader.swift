import Foundation

/// The parsed header of a PLY file: format, elements with their properties, comments, and
/// where the body starts.
struct PLYHeader {
    enum Format: String { case ascii, binaryLittleEndian = "binary_little_endian", binaryBigEndian = "binary_big_endian" }

    struct Property {
        var name: String
        var type: PLYScalar
        var isList: Bool
    }

    struct Element {
        var name: String
        var count: Int
        var properties: [Property] = []
    }

    var format: Format = .ascii
    var elements: [Element] = []
    var comments: [String] = []
    /// Byte offset of the first byte after `end_header\n`.
    var bodyOffset = 0

    /// Headers are small; this bounds the search for `end_header`.
    static let maxHeaderBytes = 1 << 20

    init(data: Data, path: String) throws {
        guard data.count >= 4, data.prefix(3).elementsEqual("ply".utf8),
              data[data.startIndex + 3] == UInt8(ascii: "\n") || data[data.startIndex + 3] == UInt8(ascii: "\r") else {
            throw DSMError.notPLY(path: path)
        }
        var lineNumber = 0
        var start = data.startIndex
        var sawFormat = false
        while true {
            guard let end = data[start...].firstIndex(of: UInt8(ascii: "\n")) else {
                throw DSMError.badPLYHeader(path: path, line: lineNumber + 1, reason: "no 'end_header' line")
            }
            guard end - data.startIndex < Self.maxHeaderBytes else {
                throw DSMError.unsupportedPLY(path: path, reason: "header longer than \(Self.maxHeaderBytes) bytes")
            }
            lineNumber += 1
            let line = String(decoding: data[start..<end], as: UTF8.self).trimmingCharacters(in: .whitespaces.union(.init(charactersIn: "\r")))
            start = end + 1
            let words = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard let keyword = words.first else { continue }
            func bad(_ reason: String) -> DSMError { .badPLYHeader(path: path, line: lineNumber, reason: reason) }
            switch keyword {
            case "ply" where lineNumber == 1: continue
            case "format":
                guard words.count == 3, let f = Format(rawValue: words[1]) else { throw bad("unknown format '\(line)'") }
                format = f
                sawFormat = true
            case "comment", "obj_info":
                comments.append(String(line.dropFirst(keyword.count)).trimmingCharacters(in: .whitespaces))
            case "element":
                guard words.count == 3, let count = Int(words[2]), count >= 0 else { throw bad("expected 'element NAME COUNT'") }
                elements.append(Element(name: words[1], count: count))
            case "property":
                guard !elements.isEmpty else { throw bad("property before any element") }
                if words.count == 5, words[1] == "list" {
                    guard let t = PLYScalar(words[3]) else { throw bad("unknown type '\(words[3])'") }
                    elements[elements.count - 1].properties.append(Property(name: words[4], type: t, isList: true))
                } else {
                    guard words.count == 3 else { throw bad("expected 'property TYPE NAME'") }
                    guard let t = PLYScalar(words[1]) else { throw bad("unknown type '\(words[1])'") }
                    elements[elements.count - 1].properties.append(Property(name: words[2], type: t, isList: false))
                }
            case "end_header":
                guard sawFormat else { throw bad("no 'format' line before end_header") }
                bodyOffset = start - data.startIndex
                return
            default:
                throw bad("unknown keyword '\(keyword)'")
            }
        }
    }

    /// The EPSG code s2p writes in comments: `projection: CRS epsg:32740` or `projection: UTM 40S`.
    var epsgFromComments: Int? {
        for comment in comments {
            let lower = comment.lowercased()
            guard lower.hasPrefix("projection:") else { continue }
            let value = lower.dropFirst("projection:".count).trimmingCharacters(in: .whitespaces)
            if let r = value.range(of: "epsg:"), let code = Int(value[r.upperBound...].prefix { $0.isNumber }) {
                return code
            }
            if value.hasPrefix("utm ") {
                let zone = value.dropFirst(4).trimmingCharacters(in: .whitespaces)
                guard let hemisphere = zone.last, "ns".contains(hemisphere),
                      let number = Int(zone.dropLast()), (1...60).contains(number) else { continue }
                return (hemisphere == "n" ? 32600 : 32700) + number
            }
        }
        return nil
    }
}

/// PLY scalar types, by both their classic and sized names.
enum PLYScalar {
    case int8, uint8, int16, uint16, int32, uint32, float32, float64

    init?(_ name: String) {
        switch name {
        case "char", "int8": self = .int8
        case "uchar", "uint8": self = .uint8
        case "short", "int16": self = .int16
        case "ushort", "uint16": self = .uint16
        case "int", "int32": self = .int32
        case "uint", "uint32": self = .uint32
        case "float", "float32": self = .float32
        case "double", "float64": self = .float64
        default: return nil
        }
    }

    var size: Int {
        switch self {
        case .int8, .uint8: 1
        case .int16, .uint16: 2
        case .int32, .uint32, .float32: 4
        case .float64: 8
        }
    }

    /// The value at byte `offset` (unaligned), converted to Double.
    @inline(__always)
    func load(_ raw: UnsafeRawBufferPointer, at offset: Int, bigEndian: Bool) -> Double {
        switch self {
        case .int8: return Double(raw.loadUnaligned(fromByteOffset: offset, as: Int8.self))
        case .uint8: return Double(raw.loadUnaligned(fromByteOffset: offset, as: UInt8.self))
        case .int16:
            let v = raw.loadUnaligned(fromByteOffset: offset, as: Int16.self)
            return Double(bigEndian ? Int16(bigEndian: v) : Int16(littleEndian: v))
        case .uint16:
            let v = raw.loadUnaligned(fromByteOffset: offset, as: UInt16.self)
            return Double(bigEndian ? UInt16(bigEndian: v) : UInt16(littleEndian: v))
        case .int32:
            let v = raw.loadUnaligned(fromByteOffset: offset, as: Int32.self)
            return Double(bigEndian ? Int32(bigEndian: v) : Int32(littleEndian: v))
        case .uint32:
            let v = raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
            return Double(bigEndian ? UInt32(bigEndian: v) : UInt32(littleEndian: v))
        case .float32:
            let v = raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
            return Double(Float(bitPattern: bigEndian ? UInt32(bigEndian: v) : UInt32(littleEndian: v)))
        case .float64:
            let v = raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            return Double(bitPattern: bigEndian ? UInt64(bigEndian: v) : UInt64(littleEndian: v))
        }
    }
}
