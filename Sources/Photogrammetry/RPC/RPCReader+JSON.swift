import Foundation

/// rpcm's dictionary form of a model as JSON (`RPCModel.__dict__`, used by the DFC2019 / SatNeRF
/// `JAX_*.json` files): `row_offset`, `col_offset`, ..., `row_num` (20 numbers) ..., either at the
/// top level or under `"rpc"`. 0-based pixel centres, RPC00B term order.
enum RPCJSONReader {
    static func read(_ data: Data, source: String) throws -> RPCModel {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw RPCError.unsupportedFormat(source: source, reason: "not a JSON object")
        }
        guard let dict = (object["rpc"] as? [String: Any]) ?? (object["row_offset"] != nil ? object : nil) else {
            throw RPCError.noRPC(source: source)
        }
        func number(_ key: String) throws -> Double {
            guard let v = dict[key] else { throw RPCError.missingField(key, source: source) }
            guard let d = (v as? NSNumber)?.doubleValue, d.isFinite else { throw RPCError.badValue(key, "\(v)", source: source) }
            return d
        }
        func poly(_ key: String) throws -> [Double] {
            guard let list = dict[key] as? [Any] else { throw RPCError.missingField(key, source: source) }
            let values = list.compactMap { ($0 as? NSNumber)?.doubleValue }
            guard values.count == 20, list.count == 20, values.allSatisfy(\.isFinite) else {
                throw RPCError.badValue(key, "\(list.count) numbers where 20 are needed", source: source)
            }
            return values
        }
        let c = RPCCoefficients(
            lineOffset: try number("row_offset"), sampleOffset: try number("col_offset"),
            latitudeOffset: try number("lat_offset"), longitudeOffset: try number("lon_offset"),
            heightOffset: try number("alt_offset"), lineScale: try number("row_scale"),
            sampleScale: try number("col_scale"), latitudeScale: try number("lat_scale"),
            longitudeScale: try number("lon_scale"), heightScale: try number("alt_scale"),
            lineNumerator: try poly("row_num"), lineDenominator: try poly("row_den"),
            sampleNumerator: try poly("col_num"), sampleDenominator: try poly("col_den"))
        try RPCXMLReader.requireNonZeroScales(c, source: source)
        return RPCModel(coefficients: c, source: source, format: .rpcmJSON)
    }
}
