import CGDAL

/// GDAL `char**` string lists: building them from Swift and copying them out.
enum CStringList {
    /// Copies a NULL-terminated `char**` into Swift strings. Does not free the list.
    static func strings(_ list: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> [String] {
        guard let list else { return [] }
        var result: [String] = []
        var i = 0
        while let item = list[i] {
            result.append(String(cString: item))
            i += 1
        }
        return result
    }

    /// Parses `KEY=VALUE` items (GDAL metadata) into a dictionary.
    static func keyValues(_ list: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> [String: String] {
        var result: [String: String] = [:]
        for item in strings(list) {
            if let eq = item.firstIndex(of: "=") {
                result[String(item[..<eq])] = String(item[item.index(after: eq)...])
            } else {
                result[item] = ""
            }
        }
        return result
    }

    /// Lends a GDAL string list built from `KEY=VALUE` pairs to `body`; the list must not escape.
    static func withList<R>(
        _ pairs: [(String, String)], _ body: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) throws -> R
    ) rethrows -> R {
        var list: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = nil
        for (key, value) in pairs { list = CSLSetNameValue(list, key, value) }
        defer { CSLDestroy(list) }
        return try body(list)
    }
}
