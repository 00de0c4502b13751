import Foundation
import Photogrammetry
import Testing

/// The PLY reader on small hand-written files: ASCII and binary (both byte orders), other
/// properties and elements, CRS comments, and clear errors for bad files.
@Suite("Rasterize: PLY reader")
struct RasterizePLYTests {
    static func write(_ header: String, body: Data = Data(), in folder: String, name: String = "c.ply") throws -> String {
        let path = folder + "/" + name
        try (Data(header.utf8) + body).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func bytes<T>(_ value: T) -> Data { withUnsafeBytes(of: value) { Data($0) } }

    @Test("ASCII: float coordinates, an extra property, the old UTM comment")
    func ascii() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let path = try Self.write("""
            ply
            format ascii 1.0
            comment projection: UTM 31N
            element vertex 2
            property float x
            property float y
            property float z
            property uchar red
            end_header
            1.5 2.5 3.25 10
            -4 5e2 6 200

            """, in: folder)
        let cloud = try PLYReader.read(path: path, keepAttributes: true)
        #expect(cloud.x == [1.5, -4] && cloud.y == [2.5, 500] && cloud.z == [3.25, 6])
        #expect(cloud.epsg == 32631)
        #expect(cloud.attributes["red"] == [10, 200])
        #expect(try PLYReader.read(path: path).attributes.isEmpty)
        #expect(try PLYReader.read(path: path, epsg: 2154).epsg == 2154)  // an explicit EPSG wins
    }

    @Test("binary little-endian: double x y z in another order, a fixed element before, faces after")
    func binaryLittleEndian() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        var body = Data()
        body += Self.bytes(Int16(7).littleEndian)                                  // element camera (1 x short)
        for (x, y, z) in [(1.0, 2.0, 3.0), (4.0, 5.0, 6.0)] {
            body += Self.bytes(z.bitPattern.littleEndian)
            body += Data([9])                                                        // uchar in between
            body += Self.bytes(x.bitPattern.littleEndian)
            body += Self.bytes(y.bitPattern.littleEndian)
        }
        body += Data([3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])                        // one face: list uchar int
        let path = try Self.write("""
            ply
            format binary_little_endian 1.0
            comment projection: CRS epsg:32740
            element camera 1
            property short id
            element vertex 2
            property double z
            property uchar flag
            property double x
            property double y
            element face 1
            property list uchar int vertex_indices
            end_header

            """, body: body, in: folder)
        let cloud = try PLYReader.read(path: path, keepAttributes: true)
        #expect(cloud.x == [1, 4] && cloud.y == [2, 5] && cloud.z == [3, 6])
        #expect(cloud.epsg == 32740 && cloud.attributes["flag"] == [9, 9])
    }

    @Test("binary big-endian floats; no CRS comment gives no EPSG")
    func binaryBigEndian() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        var body = Data()
        for v: Float in [0.5, -1.5, 1000.25] { body += Self.bytes(v.bitPattern.bigEndian) }
        let path = try Self.write("ply\nformat binary_big_endian 1.0\nelement vertex 1\nproperty float32 x\nproperty float32 y\nproperty float32 z\nend_header\n",
                                  body: body, in: folder)
        let cloud = try PLYReader.read(path: path)
        #expect(cloud.x == [0.5] && cloud.y == [-1.5] && cloud.z == [1000.25] && cloud.epsg == nil)
    }

    @Test("bad files: each a DSMError naming the file and the problem")
    func errors() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let header = "ply\nformat binary_little_endian 1.0\nelement vertex 3\nproperty double x\nproperty double y\nproperty double z\nend_header\n"
        var twoPoints = Data()
        for _ in 0..<6 { twoPoints += Self.bytes(Double(1).bitPattern) }

        let missing = folder + "/none.ply"
        #expect { try PLYReader.read(path: missing) } throws: { error in
            guard case .cannotRead(let path, _) = error as? DSMError else { return false }
            return path == missing
        }
        #expect { try PLYReader.read(path: folder) } throws: { error in  // a folder: the reason is the system's
            guard case .cannotRead(let path, _) = error as? DSMError else { return false }
            return path == folder
        }
        let notPLY = try Self.write("solid ascii stl\n", in: folder, name: "a.ply")
        #expect(throws: DSMError.notPLY(path: notPLY)) { try PLYReader.read(path: notPLY) }
        let truncated = try Self.write(header, body: twoPoints, in: folder, name: "b.ply")
        #expect(throws: DSMError.truncatedPLY(path: truncated, expectedVertices: 3, readVertices: 2)) {
            try PLYReader.read(path: truncated)
        }
        let noZ = try Self.write("ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\nend_header\n1 2\n",
                                 in: folder, name: "c.ply")
        #expect(throws: DSMError.missingCoordinate(path: noZ, property: "z")) { try PLYReader.read(path: noZ) }
        let badKeyword = try Self.write("ply\nformat ascii 1.0\nelement vertex 1\nproprety float x\nend_header\n", in: folder, name: "d.ply")
        #expect(throws: DSMError.badPLYHeader(path: badKeyword, line: 4, reason: "unknown keyword 'proprety'")) {
            try PLYReader.read(path: badKeyword)
        }
        let badFormat = try Self.write("ply\nformat binary_middle_endian 1.0\nend_header\n", in: folder, name: "e.ply")
        #expect(throws: DSMError.self) { try PLYReader.read(path: badFormat) }
        let noEnd = try Self.write("ply\nformat ascii 1.0\nelement vertex 1\n", in: folder, name: "f.ply")
        #expect(throws: DSMError.badPLYHeader(path: noEnd, line: 4, reason: "no 'end_header' line")) { try PLYReader.read(path: noEnd) }
        let badValue = try Self.write("ply\nformat ascii 1.0\nelement vertex 2\nproperty float x\nproperty float y\nproperty float z\nend_header\n1 2 3\n4 five 6\n",
                                      in: folder, name: "g.ply")
        #expect(throws: DSMError.badPLYValue(path: badValue, vertex: 1, reason: "'five' is not a number")) {
            try PLYReader.read(path: badValue)
        }
        let shortASCII = try Self.write("ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\nproperty float z\nend_header\n1 2 3\n",
                                        in: folder, name: "h.ply")
        #expect(throws: DSMError.truncatedPLY(path: shortASCII, expectedVertices: 3, readVertices: 1)) {
            try PLYReader.read(path: shortASCII)
        }
        let list = try Self.write("ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\nproperty float z\nproperty list uchar int n\nend_header\n1 2 3 0\n",
                                  in: folder, name: "i.ply")
        #expect(throws: DSMError.unsupportedPLY(path: list, reason: "list property 'n' in the vertex element")) {
            try PLYReader.read(path: list)
        }
        // Absurd counts in the header are truncation, not a crash or a huge allocation.
        let huge = "ply\nformat FORMAT 1.0\nelement vertex 9223372036854775807\nproperty double x\nproperty double y\nproperty double z\nend_header\n"
        for format in ["ascii", "binary_little_endian"] {
            let path = try Self.write(huge.replacingOccurrences(of: "FORMAT", with: format), body: Data("1 2 3\n".utf8), in: folder, name: "j.ply")
            #expect(throws: DSMError.self) { try PLYReader.read(path: path) }
        }
        let hugeBefore = try Self.write("ply\nformat binary_little_endian 1.0\nelement junk 4611686018427387904\nproperty double a\n" +
                                        "element vertex 1\nproperty double x\nproperty double y\nproperty double z\nend_header\n",
                                        body: twoPoints, in: folder, name: "k.ply")
        #expect(throws: DSMError.truncatedPLY(path: hugeBefore, expectedVertices: 1, readVertices: 0)) { try PLYReader.read(path: hugeBefore) }
        // The message names the file and the problem.
        #expect(DSMError.truncatedPLY(path: "x.ply", expectedVertices: 3, readVertices: 2).description
                == "x.ply is truncated: the header announces 3 vertices, the body holds 2")
    }
}
