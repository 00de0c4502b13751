import Foundation

/// Readers of keyword RPC files: RPC00B text files (`_RPC.TXT` of IKONOS, Planet, SkySat:
/// `LINE_NUM_COEFF_1: ...`, 1-based term numbers), OSSIM `.geom` keyword lists
/// (`line_num_coeff_00: ...`, 0-based term numbers) and DigitalGlobe `.RPB` files
/// (`lineOffset = ...;`, `lineNumCoef = (..., ...);`). All hold 0-based pixel-centre offsets.
enum RPCKeyValueReader {
    /// Parses `key: value` lines; the value is the first whitespace-separated token (units such as
    /// "pixels" or "degrees" follow it in IKONOS files).
    static func pairs(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            let rest = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty, !key.contains(" ") else { continue }
            out[key] = rest
        }
        return out
    }

    /// RPC00B text: `LINE_OFF: 540.4`, `LINE_NUM_COEFF_1: ...` up to `_20`.
    static func readText(_ text: String, source: String) throws -> RPCModel {
        let kv = pairs(text)
        guard kv["LINE_OFF"] != nil || kv["LINE_NUM_COEFF_1"] != nil else {
            throw RPCError.noRPC(source: source)
        }
        var md: [String: String] = [:]
        for key in RPCCoefficients.scalarKeys {
            if let v = kv[key] { md[key] = firstToken(v) }
        }
        for key in RPCCoefficients.polynomialKeys {
            let terms = (1...20).map { kv["\(key)_\($0)"].map(firstToken) }
            if terms.allSatisfy({ $0 != nil }) { md[key] = terms.map { $0! }.joined(separator: " ") }
        }
        let rpc = try RPCCoefficients(gdalMetadata: md, source: source)
        return RPCModel(coefficients: rpc, source: source, format: .text)
    }

    /// OSSIM keyword list with an RPC model (`type: ossimPleiadesModel` or `ossimRpcModel`,
    /// `polynomial_format: B`).
    static func readGeom(_ text: String, source: String) throws -> RPCModel {
        let kv = pairs(text)
        guard let type = kv["type"], kv["line_off"] != nil else {
            throw RPCError.noRPC(source: source)
        }
        guard type.hasSuffix("RpcModel") || type == "ossimPleiadesModel" || type == "ossimSpot6Model" else {
            throw RPCError.unsupportedFormat(source: source, reason: "OSSIM model type \(type) is not an RPC model")
        }
        let format = kv["polynomial_format"] ?? "B"
        guard format == "B" else {
            throw RPCError.unsupportedFormat(source: source, reason: "polynomial_format \(format) (only RPC00B \"B\" ordering is supported)")
        }
        var md: [String: String] = [:]
        for key in RPCCoefficients.scalarKeys {
            if let v = kv[key.lowercased()] { md[key] = firstToken(v) }
        }
        for key in RPCCoefficients.polynomialKeys {
            let terms = (0..<20).map { kv[key.lowercased() + "_" + ($0 < 10 ? "0\($0)" : "\($0)")].map(firstToken) }
            if terms.allSatisfy({ $0 != nil }) { md[key] = terms.map { $0! }.joined(separator: " ") }
        }
        let rpc = try RPCCoefficients(gdalMetadata: md, source: source)
        return RPCModel(coefficients: rpc, source: source, format: .ossimGeom)
    }

    private static func firstToken(_ s: String) -> String {
        String(s.split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "")
    }

    /// `.RPB`: `BEGIN_GROUP = IMAGE`, `lineOffset = 11469.5;`, `lineNumCoef = ( a, b, ... );`.
    static func isRPB(_ text: String) -> Bool {
        text.contains("BEGIN_GROUP") && text.range(of: "lineNumCoef", options: .caseInsensitive) != nil
    }

    static func readRPB(_ text: String, source: String) throws -> RPCModel {
        var values: [String: String] = [:]
        for statement in text.split(separator: ";") {
            guard let eq = statement.firstIndex(of: "=") else { continue }
            let key = statement[..<eq].trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
            let value = statement[statement.index(after: eq)...].trimmingCharacters(in: .whitespacesAndNewlines)
            values[String(key.split(whereSeparator: \.isNewline).last ?? "")] = value
        }
        let names = ["LINE_OFF": "lineoffset", "SAMP_OFF": "sampoffset", "LAT_OFF": "latoffset", "LONG_OFF": "longoffset",
                     "HEIGHT_OFF": "heightoffset", "LINE_SCALE": "linescale", "SAMP_SCALE": "sampscale",
                     "LAT_SCALE": "latscale", "LONG_SCALE": "longscale", "HEIGHT_SCALE": "heightscale",
                     "LINE_NUM_COEFF": "linenumcoef", "LINE_DEN_COEFF": "linedencoef",
                     "SAMP_NUM_COEFF": "sampnumcoef", "SAMP_DEN_COEFF": "sampdencoef"]
        var md: [String: String] = [:]
        for (gdalKey, rpbKey) in names {
            guard let v = values[rpbKey] else { continue }
            md[gdalKey] = v.filter { $0 != "(" && $0 != ")" && $0 != "\"" }
                .split(whereSeparator: { $0 == "," || $0.isWhitespace }).joined(separator: " ")
        }
        guard !md.isEmpty else { throw RPCError.noRPC(source: source) }
        return RPCModel(coefficients: try RPCCoefficients(gdalMetadata: md, source: source), source: source, format: .text)
    }
}
