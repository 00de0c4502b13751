import Foundation

/// Reads the vertices of a PLY file (ASCII, binary little- or big-endian) into a `PointCloud`:
/// `x`, `y`, `z` of any scalar type (float and double in practice), other scalar vertex
/// properties kept as attributes when asked, other elements (faces...) skipped.
///
/// The CRS comes from `epsg` when given, else from s2p's header comments
/// (`comment projection: CRS epsg:32740`, or the older `comment projection: UTM 40S`).
public enum PLYReader {
    /// - Throws: `DSMError` naming the file: `.cannotRead`, `.notPLY`, `.badPLYHeader`,
    ///   `.unsupportedPLY`, `.missingCoordinate`, `.truncatedPLY`, `.badPLYValue`.
    /// - Complexity: O(file size); the whole file is read into memory once.
    public static func read(path: String, epsg: Int? = nil, keepAttributes: Bool = false) throws -> PointCloud {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
        } catch {
            throw DSMError.cannotRead(path: path, reason: (error as NSError).localizedDescription)
        }
        let header = try PLYHeader(data: data, path: path)
        guard let vertexIndex = header.elements.firstIndex(where: { $0.name == "vertex" }) else {
            throw DSMError.missingCoordinate(path: path, property: "x")
        }
        let vertex = header.elements[vertexIndex]
        for name in ["x", "y", "z"] where !vertex.properties.contains(where: { $0.name == name }) {
            throw DSMError.missingCoordinate(path: path, property: name)
        }
        if let list = vertex.properties.first(where: { $0.isList }) {
            throw DSMError.unsupportedPLY(path: path, reason: "list property '\(list.name)' in the vertex element")
        }
        let columns: [[Double]]
        switch header.format {
        case .ascii:
            columns = try readASCII(data, header: header, vertexIndex: vertexIndex, path: path)
        case .binaryLittleEndian, .binaryBigEndian:
            columns = try readBinary(data, header: header, vertexIndex: vertexIndex, path: path)
        }
        func column(_ name: String) -> [Double] { columns[vertex.properties.firstIndex { $0.name == name }!] }
        var attributes: [String: [Double]] = [:]
        if keepAttributes {
            for (i, p) in vertex.properties.enumerated() where !["x", "y", "z"].contains(p.name) { attributes[p.name] = columns[i] }
        }
        return PointCloud(x: column("x"), y: column("y"), z: column("z"),
                          epsg: epsg ?? header.epsgFromComments, attributes: attributes)
    }

    /// Fixed-size elements before the vertices are skipped; a list property there cannot be.
    private static func readBinary(_ data: Data, header: PLYHeader, vertexIndex: Int, path: String) throws -> [[Double]] {
        var offset = header.bodyOffset
        for element in header.elements[..<vertexIndex] {
            guard !element.properties.contains(where: { $0.isList }) else {
                throw DSMError.unsupportedPLY(path: path, reason: "list property in element '\(element.name)' before the vertices")
            }
            let size = element.count.multipliedReportingOverflow(by: element.properties.reduce(0) { $0 + $1.type.size })
            guard !size.overflow, offset <= data.count - size.partialValue else {
                throw DSMError.truncatedPLY(path: path, expectedVertices: header.elements[vertexIndex].count, readVertices: 0)
            }
            offset += size.partialValue
        }
        let vertex = header.elements[vertexIndex]
        let stride = vertex.properties.reduce(0) { $0 + $1.type.size }
        let available = max(0, data.count - offset) / stride
        guard available >= vertex.count else {
            throw DSMError.truncatedPLY(path: path, expectedVertices: vertex.count, readVertices: available)
        }
        let bigEndian = header.format == .binaryBigEndian
        var columns: [[Double]] = []
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            var propertyOffset = 0
            for p in vertex.properties {
                var values = [Double](repeating: 0, count: vertex.count)
                let start = offset + propertyOffset
                for k in 0..<vertex.count {
                    values[k] = p.type.load(raw, at: start + k * stride, bigEndian: bigEndian)
                }
                columns.append(values)
                propertyOffset += p.type.size
            }
        }
        return columns
    }

    /// One element instance per line; elements before the vertices are skipped line by line.
    private static func readASCII(_ data: Data, header: PLYHeader, vertexIndex: Int, path: String) throws -> [[Double]] {
        let vertex = header.elements[vertexIndex]
        let skip = header.elements[..<vertexIndex].reduce(0) { $0 + $1.count }
        var columns = [[Double]](repeating: [], count: vertex.properties.count)
        // A vertex line has at least 6 bytes ("0 0 0\n"): never reserve more than the file can hold.
        for c in columns.indices { columns[c].reserveCapacity(min(vertex.count, data.count / 6)) }
        var line = 0, read = 0
        let body = data[(data.startIndex + header.bodyOffset)...]
        for rawLine in body.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            if read == vertex.count { break }
            let text = String(decoding: rawLine, as: UTF8.self)
            let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            if fields.isEmpty { continue }
            line += 1
            if line <= skip { continue }
            guard fields.count >= vertex.properties.count else {
                throw DSMError.badPLYValue(path: path, vertex: read,
                                           reason: "\(fields.count) values for \(vertex.properties.count) properties")
            }
            for c in columns.indices {
                guard let v = Double(fields[c]) else {
                    throw DSMError.badPLYValue(path: path, vertex: read, reason: "'\(fields[c])' is not a number")
                }
                columns[c].append(v)
            }
            read += 1
        }
        guard read == vertex.count else {
            throw DSMError.truncatedPLY(path: path, expectedVertices: vertex.count, readVertices: read)
        }
        return columns
    }
}
