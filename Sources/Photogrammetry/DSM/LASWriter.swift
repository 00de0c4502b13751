import Foundation
import Raster

/// A streaming writer of LAS 1.4 point clouds (ASPRS LAS 1.4 R15), point data record format 6
/// (30 bytes: X, Y, Z as Int32 with the header's scale and offset, intensity, returns,
/// classification, user data, scan angle, point source, GPS time), with the horizontal CRS as
/// an OGC WKT VLR (LASF_Projection, record 2112; global encoding bit 4 set, as format 6 requires).
///
/// Points go to disk batch by batch (`append`), so memory is bounded by one batch; `finish`
/// fills in the header's count and bounds and moves the file from a temporary name to `path`
/// (nothing at `path` until then; `abort`, or a writer dropped unfinished, removes the
/// temporary file).
///
/// Fields written: X/Y/Z (scale 0.001 m, offset the given origin), intensity (the caller's
/// value, e.g. the match confidence x 65535), return 1 of 1, classification 1 (unclassified),
/// point source ID (e.g. the stereo pair). GPS time, scan angle and user data are 0.
public final class LASWriter {
    public let path: String
    private let temporary: String
    private let handle: FileHandle
    public let scale: Double
    public let offset: (x: Double, y: Double, z: Double)
    public private(set) var count = 0
    private var minimum = SIMD3<Double>(repeating: .infinity)
    private var maximum = SIMD3<Double>(repeating: -.infinity)
    private var finished = false

    static let headerSize = 375
    static let vlrHeaderSize = 54
    static let recordLength = 30

    /// Opens `path`'s temporary sibling and writes the header and the CRS VLR.
    /// - Parameters:
    ///   - wkt: the points' horizontal CRS as WKT (e.g. `SpatialReference(epsg:).wkt`).
    ///   - origin: the coordinate offset, near the points (e.g. the DSM grid's corner), so that
    ///     Int32 millimetres reach ±2147 km around it.
    /// - Throws: `DSMError.writeFailed` when the file cannot be created.
    public init(path: String, wkt: String, origin: (x: Double, y: Double, z: Double), scale: Double = 0.001) throws {
        self.path = path
        Staging.removeStale(besideOutput: path)
        self.temporary = Staging.name(besideOutput: path, tag: "tmp")
        Staging.register(temporary)
        self.scale = scale
        self.offset = origin
        guard FileManager.default.createFile(atPath: temporary, contents: nil),
              let handle = FileHandle(forWritingAtPath: temporary) else {
            Staging.unregister(temporary)
            throw DSMError.writeFailed(path: path, reason: "cannot create the LAS file")
        }
        self.handle = handle
        var wktBytes = Array(wkt.utf8)
        wktBytes.append(0)  // the spec asks for a null-terminated string
        guard wktBytes.count <= Int(UInt16.max) else {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: temporary)
            Staging.unregister(temporary)
            throw DSMError.writeFailed(path: path, reason: "the CRS WKT (\(wktBytes.count) bytes) does not fit a LAS VLR (65535 at most)")
        }
        var head = header(vlrLength: wktBytes.count)
        head += vlrHeader(userID: "LASF_Projection", recordID: 2112, length: wktBytes.count, description: "OGC WKT coordinate system")
        head += wktBytes
        try write(head)
    }

    deinit {
        if !finished {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: temporary)
            Staging.unregister(temporary)
        }
    }

    /// Appends points (projected x, y, z in metres, one intensity and one source ID each).
    /// - Precondition: arrays of one length; coordinates within ±2^31 · scale of the origin.
    /// - Complexity: O(n) time, 30n bytes of buffer.
    public func append(x: [Double], y: [Double], z: [Double], intensity: [UInt16], source: UInt16) throws {
        precondition(x.count == y.count && y.count == z.count && z.count == intensity.count, "LASWriter: arrays of different lengths")
        var bytes = [UInt8]()
        bytes.reserveCapacity(x.count * Self.recordLength)
        for k in x.indices {
            let p = SIMD3(x[k], y[k], z[k])
            minimum = pointwiseMin(minimum, p)
            maximum = pointwiseMax(maximum, p)
            bytes.appendLE(Int32(((x[k] - offset.x) / scale).rounded()))
            bytes.appendLE(Int32(((y[k] - offset.y) / scale).rounded()))
            bytes.appendLE(Int32(((z[k] - offset.z) / scale).rounded()))
            bytes.appendLE(intensity[k])
            bytes.append(0x11)           // return 1 of 1
            bytes.append(0)              // classification flags, channel, scan direction, edge
            bytes.append(1)              // class 1: unclassified
            bytes.append(0)              // user data
            bytes.appendLE(Int16(0))     // scan angle
            bytes.appendLE(source)       // point source ID
            bytes.appendLE(Double(0).bitPattern)  // GPS time
        }
        try write(bytes)
        count += x.count
    }

    /// Writes the count and bounds into the header and renames the file to `path`.
    public func finish() throws {
        var patch = [UInt8]()
        for (high, low) in [(maximum.x, minimum.x), (maximum.y, minimum.y), (maximum.z, minimum.z)] {
            patch.appendLE((count > 0 ? high : 0).bitPattern)
            patch.appendLE((count > 0 ? low : 0).bitPattern)
        }
        do {
            try handle.seek(toOffset: 179)  // max X, min X, max Y, min Y, max Z, min Z
            try handle.write(contentsOf: patch)
            var counts = [UInt8]()
            counts.appendLE(UInt64(count))  // number of point records
            counts.appendLE(UInt64(count))  // of which first returns
            try handle.seek(toOffset: 247)
            try handle.write(contentsOf: counts)
            try handle.close()
            // rename(2): atomic, replaces an older file.
            guard rename(temporary, path) == 0 else {
                throw DSMError.writeFailed(path: path, reason: "cannot rename \(temporary) into place: \(String(cString: strerror(errno)))")
            }
            Staging.unregister(temporary)
        } catch let error as DSMError {
            throw error
        } catch {
            throw DSMError.writeFailed(path: path, reason: "\(error)")
        }
        finished = true
    }

    private func write(_ bytes: [UInt8]) throws {
        do { try handle.write(contentsOf: bytes) } catch { throw DSMError.writeFailed(path: path, reason: "\(error)") }
    }

    /// The 375-byte LAS 1.4 header, count and bounds zero (see `finish`).
    private func header(vlrLength: Int) -> [UInt8] {
        var h = [UInt8]()
        h += Array("LASF".utf8)
        h.appendLE(UInt16(0))                 // file source ID
        h.appendLE(UInt16(16))                // global encoding: bit 4, CRS as WKT
        h += [UInt8](repeating: 0, count: 16) // project GUID
        h += [1, 4]                           // version 1.4
        h += fixedString("Relief dsm-run", 32)  // system identifier
        h += fixedString("Relief LASWriter", 32)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let now = Date()
        h.appendLE(UInt16(calendar.ordinality(of: .day, in: .year, for: now) ?? 1))  // creation day of year
        h.appendLE(UInt16(calendar.component(.year, from: now)))
        h.appendLE(UInt16(Self.headerSize))
        h.appendLE(UInt32(Self.headerSize + Self.vlrHeaderSize + vlrLength))  // offset to point data
        h.appendLE(UInt32(1))                 // number of VLRs
        h.append(6)                           // point data record format
        h.appendLE(UInt16(Self.recordLength))
        h.appendLE(UInt32(0))                 // legacy point count: 0 for format 6
        h += [UInt8](repeating: 0, count: 20) // legacy points by return
        for _ in 0..<3 { h.appendLE(scale.bitPattern) }
        for o in [offset.x, offset.y, offset.z] { h.appendLE(o.bitPattern) }
        h += [UInt8](repeating: 0, count: 48) // bounds (finish)
        h.appendLE(UInt64(0))                 // start of waveform data
        h.appendLE(UInt64(0))                 // start of the first EVLR
        h.appendLE(UInt32(0))                 // number of EVLRs
        h += [UInt8](repeating: 0, count: 8 + 15 * 8)  // point count and counts by return (finish)
        assert(h.count == Self.headerSize)
        return h
    }

    private func vlrHeader(userID: String, recordID: UInt16, length: Int, description: String) -> [UInt8] {
        var v = [UInt8]()
        v.appendLE(UInt16(0))  // reserved
        v += fixedString(userID, 16)
        v.appendLE(recordID)
        v.appendLE(UInt16(length))
        v += fixedString(description, 32)
        return v
    }

    private func fixedString(_ s: String, _ size: Int) -> [UInt8] {
        let bytes = Array(s.utf8.prefix(size))
        return bytes + [UInt8](repeating: 0, count: size - bytes.count)
    }
}

extension [UInt8] {
    /// Appends `value`'s bytes, little-endian (LAS's byte order).
    mutating func appendLE<T: FixedWidthInteger>(_ value: T) {
        var v = value.littleEndian
        Swift.withUnsafeBytes(of: &v) { append(contentsOf: $0) }
    }
}
