import Foundation
import Raster

/// The per-tile results of `dsm-run dsm --keep-tiles DIR`: one file per (pair, tile) holding the
/// tile's triangulated points, so that a rerun with the same folder reads finished tiles instead
/// of computing them (resume after a crash or a cancellation, or another resolution, datum or
/// output from the same points).
///
/// File `pPAIR_xX_yY_wW_hH.tile`, little-endian: the magic `RLFTILE2`, the settings fingerprint
/// (UInt64), matched, rejected-for-residual and rejected-for-height counts (Int64 each), the row
/// offset (Double, NaN for none), 1 when that offset is the pair's median else 0 (Int64), the point count n (Int64), then n longitudes, n latitudes,
/// n heights (Double) and n confidences (Float). Written under a temporary name and renamed,
/// so a file is either whole or absent. A file whose fingerprint differs (other images, RPCs,
/// height range, matching or filtering settings) or that does not read back whole is recomputed.
struct TileStore: Sendable {
    let folder: String
    let fingerprint: UInt64
    static let magic = Array("RLFTILE2".utf8)

    /// Creates the folder when missing.
    /// - Throws: `DSMPipelineError.invalidConfiguration` when it cannot be created.
    init(folder: String, configuration c: DSMConfiguration, heights: ClosedRange<Double>, corrections: [[Double]] = []) throws {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw DSMPipelineError.invalidConfiguration("cannot create the tile folder \(folder): \(error.localizedDescription)")
        }
        self.folder = folder
        // Everything a tile's points depend on (not the resolution, datum or outputs).
        let settings = [
            c.reference, c.referenceRPC ?? "", c.secondaryImages.map { "\($0.path)|\($0.rpc ?? "")" }.joined(separator: ";"),
            "\(heights)", "\(corrections)", "\(c.matching)", "\(c.rectification)", "\(c.correctRowOffset)", "\(c.rowOffsetStep)",
            "\(c.rowOffsetSearch)", "\(c.maxResidual)", "\(c.heightTolerance)",
        ] + (c.triangulationTolerance.map { ["triangulation \($0)"] } ?? [])  // exact: the fingerprint of earlier stores
        let fingerprintText = settings.joined(separator: "\n")
        fingerprint = fnv1a(fingerprintText)
    }

    func path(of job: TileJob) -> String {
        let t = job.tile
        return "\(folder)/p\(job.pair)_x\(t.x)_y\(t.y)_w\(t.width)_h\(t.height).tile"
    }

    /// The stored points of `job`, nil when absent, stale or unreadable.
    func load(_ job: TileJob) -> TilePoints? {
        guard let data = FileManager.default.contents(atPath: path(of: job)) else { return nil }
        var reader = ByteReader(bytes: [UInt8](data))
        guard reader.take(8) == Self.magic, reader.read(UInt64.self) == fingerprint,
              let matched = reader.read(Int64.self), let residual = reader.read(Int64.self),
              let height = reader.read(Int64.self), let offset = reader.read(UInt64.self).map(Double.init(bitPattern:)),
              let fromPair = reader.read(Int64.self),
              let n = reader.read(Int64.self).map(Int.init), n >= 0, reader.remaining == n * 28 else { return nil }
        var t = TilePoints()
        t.matched = Int(matched)
        t.rejectedResidual = Int(residual)
        t.rejectedHeight = Int(height)
        t.rowOffset = offset.isNaN ? nil : offset
        t.rowOffsetFromPair = fromPair == 1
        t.longitudes = (0..<n).map { _ in Double(bitPattern: reader.read(UInt64.self)!) }
        t.latitudes = (0..<n).map { _ in Double(bitPattern: reader.read(UInt64.self)!) }
        t.heights = (0..<n).map { _ in Double(bitPattern: reader.read(UInt64.self)!) }
        t.confidences = (0..<n).map { _ in Float(bitPattern: reader.read(UInt32.self)!) }
        t.reused = true
        return t
    }

    /// Stores `points` for `job` (atomically).
    /// - Throws: `DSMError.writeFailed`.
    func save(_ points: TilePoints, for job: TileJob) throws {
        var b = [UInt8]()
        b.reserveCapacity(64 + points.count * 28)
        b += Self.magic
        b.appendLE(fingerprint)
        for v in [points.matched, points.rejectedResidual, points.rejectedHeight] { b.appendLE(Int64(v)) }
        b.appendLE((points.rowOffset ?? .nan).bitPattern)
        b.appendLE(Int64(points.rowOffsetFromPair ? 1 : 0))
        b.appendLE(Int64(points.count))
        for array in [points.longitudes, points.latitudes, points.heights] {
            for v in array { b.appendLE(v.bitPattern) }
        }
        for v in points.confidences { b.appendLE(v.bitPattern) }
        let target = path(of: job), temporary = target + ".tmp-\(ProcessInfo.processInfo.processIdentifier)"
        Staging.register(temporary)
        defer { Staging.unregister(temporary) }
        do {
            try Data(b).write(to: URL(fileURLWithPath: temporary))
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw DSMError.writeFailed(path: target, reason: error.localizedDescription)
        }
        // rename(2): atomic, replaces an older file.
        guard rename(temporary, target) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw DSMError.writeFailed(path: target, reason: reason)
        }
    }
}

/// Reads little-endian integers from a byte array, nil past the end.
struct ByteReader {
    let bytes: [UInt8]
    var position = 0
    var remaining: Int { bytes.count - position }

    mutating func take(_ n: Int) -> [UInt8]? {
        guard remaining >= n else { return nil }
        defer { position += n }
        return Array(bytes[position..<position + n])
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type) -> T? {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { return nil }
        var v: T = 0
        for k in 0..<size { v |= T(truncatingIfNeeded: bytes[position + k]) << (8 * k) }
        position += size
        return v
    }
}

/// 64-bit FNV-1a of a string's UTF-8 (stable across runs, unlike `Hasher`).
func fnv1a(_ s: String) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in s.utf8 {
        h ^= UInt64(byte)
        h = h &* 0x100_0000_01b3
    }
    return h
}
