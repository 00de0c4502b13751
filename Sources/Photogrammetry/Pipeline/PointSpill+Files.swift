import Foundation

/// The points of one part of a fanned-out DSM (`DSMPipeline.matchPoints`), as a file the merge
/// (`DSMPipeline.rasterize`) reads back, possibly on another machine:
///
///     "RELIEFP1"                        8 bytes
///     chunk count n                     UInt64
///     n × (job, pair, point count)      3 × UInt64, jobs numbered over the whole request
///     the chunks' records in that order (`PointSpill.recordBytes` each, as in `points.bin`)
///
/// Native byte order (little-endian on every platform the project builds for). The job numbers
/// let the merge put every chunk back at its place in the one-job order, which is what makes
/// the merged DSM the one-job DSM bit for bit.
extension PointSpill {
    static let fileMagic = Array("RELIEFP1".utf8)

    /// Writes this spill's chunks, chunk k numbered `globalJobs[k]`, to `path`: first under a
    /// temporary name beside it, renamed when complete, so a reader sees a whole file or none and
    /// a rerun replaces it.
    /// - Returns: the points written.
    /// - Throws: `DSMPipelineError.invalidConfiguration` naming the file when it cannot be written.
    @discardableResult
    func export(globalJobs: [Int], to path: String) throws -> Int {
        let table = chunks.enumerated().compactMap { k, c in c.map { (job: globalJobs[k], chunk: $0) } }.filter { $0.chunk.count > 0 }
        let partial = path + ".partial-" + UUID().uuidString.prefix(8)
        func fail(_ what: String) -> DSMPipelineError { .invalidConfiguration("cannot write the point file \(path): \(what)") }
        guard FileManager.default.createFile(atPath: partial, contents: nil), let out = FileHandle(forWritingAtPath: partial) else {
            throw fail("cannot create \(partial)")
        }
        var header = Self.fileMagic
        func put(_ v: Int) { withUnsafeBytes(of: UInt64(v)) { header.append(contentsOf: $0) } }
        put(table.count)
        for t in table { put(t.job); put(t.chunk.pair); put(t.chunk.count) }
        do {
            try out.write(contentsOf: header)
            for t in table {
                let p = try read(t.chunk)
                try out.write(contentsOf: Self.encode(x: p.x, y: p.y, z: p.z, confidences: p.confidences))
            }
            try out.synchronize()
            try out.close()
        } catch {
            try? out.close()
            try? FileManager.default.removeItem(atPath: partial)
            throw error as? DSMPipelineError ?? fail(error.localizedDescription)
        }
        guard rename(partial, path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: partial)
            throw fail(reason)
        }
        return table.reduce(0) { $0 + $1.chunk.count }
    }

    /// Appends the chunks of a point file written by `export` as the jobs it names (a job met
    /// twice keeps its last chunk). One chunk in memory at a time.
    /// - Returns: the points read.
    /// - Throws: `DSMPipelineError.invalidConfiguration` naming the file: unreadable, not a point
    ///   file, truncated, or a job outside this spill's.
    @discardableResult
    func importFile(_ path: String) throws -> Int {
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
            return d.withUnsafeBytes { raw in (0..<n).map { Int(raw.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self)) } }
        }
        do {
            guard Array(try bytes(8)) == Self.fileMagic else { throw fail("not a Relief point file") }
            let n = try integers(1)[0]
            guard n >= 0, n <= chunks.count else { throw fail("\(n) chunks, more than the request's \(chunks.count) jobs") }
            let table = try integers(3 * n)
            var total = 0
            for k in 0..<n {
                let (job, pair, count) = (table[3 * k], table[3 * k + 1], table[3 * k + 2])
                guard job >= 0, job < chunks.count else { throw fail("job \(job) outside the request's \(chunks.count)") }
                let p = Self.decode(try bytes(count * Self.recordBytes))
                try append(job: job, pair: pair, x: p.x, y: p.y, z: p.z, confidences: p.confidences)
                total += count
            }
            return total
        } catch let e as DSMPipelineError { throw e } catch { throw fail(error.localizedDescription) }
    }
}
