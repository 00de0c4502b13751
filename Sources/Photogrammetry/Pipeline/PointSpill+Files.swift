import Foundation
import Raster

/// The points of one part of a fanned-out DSM (`DSMPipeline.matchPoints`), as a file the merge
/// (`DSMPipeline.rasterize`) reads back, possibly on another machine:
///
///     "RELIEFP2"                                   8 bytes
///     job count n                                  UInt64
///     n × (job, pair, point count, row offset)     3 × UInt64 and a Float64 (NaN: not measured);
///                                                  jobs numbered over the whole request
///     the jobs' point records in that order (`PointSpill.recordBytes` each, as in `points.bin`)
///
/// Native byte order (little-endian on every platform the project builds for). The job numbers
/// let the merge put every chunk back at its place in the one-job order, and the row offsets let
/// it redo the tiles without one with the median of the whole ROI, as `run` does: together they
/// make the merged DSM the one-job DSM bit for bit.
extension PointSpill {
    static let fileMagic = Array("RELIEFP2".utf8)

    /// One job of a point file.
    struct FileEntry: Sendable, Equatable {
        var job: Int
        var pair: Int
        var count: Int
        /// The tile's own row offset, nil when it could not be measured.
        var rowOffset: Double?
    }

    /// Writes this spill's jobs to `path`, local job k as `entries[k]` (its request-wide number,
    /// pair and row offset; the count is the spill's): first under a temporary name beside it,
    /// renamed when complete, so a reader sees a whole file or none and a rerun replaces it.
    /// - Returns: the points written.
    /// - Throws: `DSMPipelineError.invalidConfiguration` naming the file when it cannot be written.
    @discardableResult
    func export(_ entries: [FileEntry], to path: String) throws -> Int {
        let chunks = self.chunks
        precondition(entries.count == chunks.count, "one entry per job of the spill")
        var table = entries
        for k in table.indices { table[k].count = chunks[k]?.count ?? 0 }
        let partial = path + ".partial-" + UUID().uuidString.prefix(8)
        func fail(_ what: String) -> DSMPipelineError { .invalidConfiguration("cannot write the point file \(path): \(what)") }
        guard FileManager.default.createFile(atPath: partial, contents: nil), let out = FileHandle(forWritingAtPath: partial) else {
            throw fail("cannot create \(partial)")
        }
        var header = Self.fileMagic
        func put(_ v: Int) { withUnsafeBytes(of: UInt64(v)) { header.append(contentsOf: $0) } }
        put(table.count)
        for e in table {
            put(e.job); put(e.pair); put(e.count)
            withUnsafeBytes(of: e.rowOffset ?? .nan) { header.append(contentsOf: $0) }
        }
        do {
            try out.write(contentsOf: header)
            for case let chunk? in chunks where chunk.count > 0 {
                let p = try read(chunk)
                try out.write(contentsOf: Self.encode(x: p.x, y: p.y, z: p.z, confidences: p.confidences))
            }
            try out.synchronize()
            try out.close()
        } catch {
            try? out.close()
            try? FileManager.default.removeItem(atPath: partial)
            if NoSpaceLeft.isNoSpace(error) { throw NoSpaceLeft(path: path, what: "a part's point file") }
            throw error as? DSMPipelineError ?? fail(error.localizedDescription)
        }
        guard rename(partial, path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: partial)
            throw fail(reason)
        }
        return table.reduce(0) { $0 + $1.count }
    }

    /// Appends the chunks of a point file written by `export` as the jobs it names (a job met
    /// twice keeps its last chunk; a job without points leaves its chunk as it is). One chunk in
    /// memory at a time.
    /// - Returns: the file's jobs.
    /// - Throws: `DSMPipelineError.invalidConfiguration` naming the file: unreadable, not a point
    ///   file, truncated, or a job outside this spill's.
    @discardableResult
    func importFile(_ path: String) throws -> [FileEntry] {
        func fail(_ what: String) -> DSMPipelineError { .invalidConfiguration("cannot read the point file \(path): \(what)") }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw fail("cannot open it") }
        defer { try? handle.close() }
        func bytes(_ n: Int) throws -> Data {
            let d = try handle.read(upToCount: n) ?? Data()
            guard d.count == n else { throw fail("truncated") }
            return d
        }
        func integers(_ n: Int) throws -> [Int] {
            let d = try bytes(8 * n)
            return d.withUnsafeBytes { raw in (0..<n).map { Int(truncatingIfNeeded: raw.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self)) } }
        }
        do {
            guard Array(try bytes(8)) == Self.fileMagic else { throw fail("not a Relief point file") }
            let n = try integers(1)[0]
            guard n >= 0, n <= chunks.count else { throw fail("\(n) jobs, more than the request's \(chunks.count)") }
            let raw = try bytes(32 * n)
            let table = raw.withUnsafeBytes { r in
                (0..<n).map { k in
                    let o = 32 * k
                    let offset = r.loadUnaligned(fromByteOffset: o + 24, as: Double.self)
                    return FileEntry(job: Int(truncatingIfNeeded: r.loadUnaligned(fromByteOffset: o, as: UInt64.self)),
                                     pair: Int(truncatingIfNeeded: r.loadUnaligned(fromByteOffset: o + 8, as: UInt64.self)),
                                     count: Int(truncatingIfNeeded: r.loadUnaligned(fromByteOffset: o + 16, as: UInt64.self)),
                                     rowOffset: offset.isNaN ? nil : offset)
                }
            }
            for e in table {
                guard e.job >= 0, e.job < chunks.count else { throw fail("job \(e.job) outside the request's \(chunks.count)") }
                guard e.count >= 0, e.count < 1 << 36, e.pair >= 0 else { throw fail("job \(e.job): corrupt table") }
                guard e.count > 0 else { continue }
                let p = Self.decode(try bytes(e.count * Self.recordBytes))
                try append(job: e.job, pair: e.pair, x: p.x, y: p.y, z: p.z, confidences: p.confidences)
            }
            return table
        } catch let e as DSMPipelineError { throw e } catch { throw fail(error.localizedDescription) }
    }
}
