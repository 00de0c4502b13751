import Foundation
import Raster
import Synchronization

/// The points of a DSM run kept on disk instead of in memory (`dsm-run dsm`'s out-of-core
/// path), so the peak memory is bounded by the tile sizes whatever the scene size.
///
/// A hidden folder beside the output holds:
/// - `points.bin`: each matching tile's points, projected to the DSM grid's CRS, appended as one
///   chunk when the tile finishes (`append`, any thread); a table (job → offset, count, pair)
///   stays in memory, so a recomputed tile (`redoWithPairRowOffset`) replaces its chunk;
/// - `bin-K.bin`: the points sorted by DSM output tile: a point goes to every tile whose padded
///   window (core plus the hole-filling halo) holds its cell, so rasterising tile K reads only
///   bin K. Streamed (`streamBins` given): each matching tile's points are appended to the bins
///   as the tile finishes, one segment per job and bin, and `points.bin` is kept only when the
///   chunks are read back (`keepsChunks`: the LAS file, a fan-out part's export); else sorted
///   after the matching from `points.bin` (`binByTile`). A bin's file is removed once its tile
///   is rasterised (`dropBin`), so the folder shrinks to the tiles still open.
///
/// Both are records of 28 bytes (x, y, z as Float64; the matcher's confidence as Float32,
/// native byte order). Chunks are read back in job order and points in their tile's order,
/// which is the order of the in-memory cloud, so the rasterisation is bit for bit the one of
/// `rasterizeTiled` on the whole cloud (order matters for the mean's summation). The folder is
/// removed by `remove()` (the pipeline calls it on success and on failure).
final class PointSpill: @unchecked Sendable {
    struct Chunk: Sendable {
        var offset: UInt64
        var count: Int
        var pair: Int
    }

    static let recordBytes = 28
    /// Memory for the bins' write buffers, all bins together (each flushes at its share).
    static let binBufferBytes = 16 << 20

    let folder: String
    let grid: DSMGrid
    private let stream: FileHandle
    /// The chunk table and the stream's end, guarded.
    private let state = Mutex<(chunks: [Chunk?], end: UInt64)>(([], 0))
    private let writeLock = Mutex<Void>(())
    private(set) var tiling: Tiling?
    /// Whether `points.bin` holds the chunks (else only their counts are kept).
    let keepsChunks: Bool

    /// A job's points in one bin's file: `generation` is the job's append number, so a job
    /// appended again (a redone tile) supersedes its earlier segments.
    struct Segment: Sendable {
        var job: Int
        var generation: Int
        var offset: UInt64
        var count: Int
    }

    /// The streamed bins: each bin's segments and file end, each job's last generation.
    private let bins = Mutex<(segments: [[Segment]], ends: [UInt64], generations: [Int])>(([], [], []))

    /// Creates the folder `.<output name>.points-PID-START-RANDOM` beside `output` (see `Staging`;
    /// those of dead runs are removed first).
    /// - Throws: `DSMPipelineError.invalidConfiguration` when it cannot be created.
    /// - Parameters:
    ///   - streamBins: the output tiling the points are binned by as they come; nil: after
    ///     the matching (`binByTile`).
    ///   - keepsChunks: keep every job's points in `points.bin` too (needed by `read`,
    ///     `export` and `binByTile`).
    init(besideOutput output: String, grid: DSMGrid, jobs: Int, streamBins: Tiling? = nil, keepsChunks: Bool = true) throws {
        precondition(streamBins != nil || keepsChunks, "without streamed bins the chunks must be kept")
        Staging.removeStale(besideOutput: output)
        folder = Staging.name(besideOutput: output, tag: "points")
        self.grid = grid
        self.keepsChunks = keepsChunks
        tiling = streamBins
        if let streamBins {
            bins.withLock { $0 = (Array(repeating: [], count: streamBins.count), Array(repeating: 0, count: streamBins.count),
                                  Array(repeating: 0, count: jobs)) }
        }
        Staging.register(folder)
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        } catch {
            Staging.unregister(folder)
            throw DSMPipelineError.invalidConfiguration("cannot create the temporary point folder \(folder): \(error.localizedDescription)")
        }
        let path = (folder as NSString).appendingPathComponent("points.bin")
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forUpdatingAtPath: path) else {
            try? FileManager.default.removeItem(atPath: folder)
            Staging.unregister(folder)
            throw DSMPipelineError.invalidConfiguration("cannot create the temporary point file \(path)")
        }
        stream = handle
        state.withLock { $0.chunks = Array(repeating: nil, count: jobs) }
    }

    /// Closes the files and deletes the folder (errors ignored: nothing is left to do about them).
    func remove() {
        try? stream.close()
        try? FileManager.default.removeItem(atPath: folder)
        Staging.unregister(folder)
    }

    /// Appends job `job`'s points (already in the grid's CRS) as its chunk, replacing any
    /// earlier chunk of that job. Thread-safe.
    func append(job: Int, pair: Int, x: [Double], y: [Double], z: [Double], confidences: [Float]) throws {
        if let tiling, isStreaming { try stream(job: job, tiling: tiling, x: x, y: y, z: z, confidences: confidences) }
        guard keepsChunks else {
            state.withLock { $0.chunks[job] = Chunk(offset: 0, count: x.count, pair: pair) }
            return
        }
        let bytes = Self.encode(x: x, y: y, z: z, confidences: confidences)
        let offset = try writeLock.withLock { _ -> UInt64 in
            let offset = state.withLock { $0.end }
            do {
                try stream.seek(toOffset: offset)
                try stream.write(contentsOf: bytes)
            } catch {
                if NoSpaceLeft.isNoSpace(error) { throw NoSpaceLeft(path: folder, what: "the run's temporary points") }
                throw DSMPipelineError.invalidConfiguration("cannot write the temporary point file in \(folder): \(error.localizedDescription)")
            }
            state.withLock { $0.end = offset + UInt64(bytes.count) }
            return offset
        }
        state.withLock { $0.chunks[job] = Chunk(offset: offset, count: x.count, pair: pair) }
    }

    /// The chunks in job order (nil: a job without points or not run).
    var chunks: [Chunk?] { state.withLock { $0.chunks } }

    /// Reads one chunk back.
    func read(_ chunk: Chunk) throws -> (x: [Double], y: [Double], z: [Double], confidences: [Float]) {
        try writeLock.withLock { _ in
            do {
                try stream.seek(toOffset: chunk.offset)
                let data = try stream.read(upToCount: chunk.count * Self.recordBytes) ?? Data()
                guard data.count == chunk.count * Self.recordBytes else {
                    throw DSMPipelineError.invalidConfiguration("the temporary point file in \(folder) is truncated")
                }
                return Self.decode(data)
            } catch let error as DSMPipelineError {
                throw error
            } catch {
                throw DSMPipelineError.invalidConfiguration("cannot read the temporary point file in \(folder): \(error.localizedDescription)")
            }
        }
    }

    /// Sorts the chunks' points into one file per tile of `tiling` (see the type's comment),
    /// chunk by chunk in job order. Points outside the grid are left out; a non-finite height
    /// is kept (the DSM ignores it, the confidence raster, whose z is the confidence, counts it,
    /// as with the in-memory cloud).
    ///
    /// - Complexity: O(n · b) time for n points, b ≤ 4 bins a point (1 unless it lies in a halo);
    ///   memory: one chunk plus `binBufferBytes` of write buffers.
    func binByTile(_ tiling: Tiling) throws {
        if isStreaming {
            precondition(tiling.count == self.tiling?.count && tiling.tileWidth == self.tiling?.tileWidth
                         && tiling.halo == self.tiling?.halo, "binByTile: the bins are streamed on another tiling")
            return
        }
        do { try writeBins(tiling) } catch let error as DSMPipelineError { throw error } catch {
            // Foundation's file errors (a full disk) named in the run's terms, not as NSError dumps.
            if NoSpaceLeft.isNoSpace(error) { throw NoSpaceLeft(path: folder, what: "the run's temporary point bins") }
            throw DSMPipelineError.invalidConfiguration("cannot write the temporary point bins in \(folder): \(error.localizedDescription)")
        }
    }

    private func writeBins(_ tiling: Tiling) throws {
        self.tiling = tiling
        let bins = tiling.count
        let flushAt = max(4096, Self.binBufferBytes / max(1, bins))
        var buffers = [[UInt8]](repeating: [], count: bins)
        for t in 0..<bins { try Data().write(to: URL(fileURLWithPath: binPath(t))) }
        func flush(_ t: Int) throws {
            guard !buffers[t].isEmpty else { return }
            guard let handle = FileHandle(forWritingAtPath: binPath(t)) else {
                throw DSMPipelineError.invalidConfiguration("cannot open the temporary point bin \(binPath(t))")
            }
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: buffers[t])
            buffers[t].removeAll(keepingCapacity: true)
        }
        for chunk in chunks {
            guard let chunk, chunk.count > 0 else { continue }
            let p = try read(chunk)
            for i in 0..<chunk.count {
                try forEachBin(x: p.x[i], y: p.y[i], tiling: tiling) { t in
                    Self.appendRecord(&buffers[t], p.x[i], p.y[i], p.z[i], p.confidences[i])
                    if buffers[t].count >= flushAt { try flush(t) }
                }
            }
        }
        for t in 0..<bins { try flush(t) }
    }

    /// Calls `body` with each tile of `tiling` whose padded window holds the cell of point
    /// (x, y); none for a point outside the grid (or with a NaN coordinate).
    private func forEachBin(x: Double, y: Double, tiling: Tiling, _ body: (Int) throws -> Void) rethrows {
        let cd = grid.column(x: x), rd = grid.row(y: y)
        guard cd >= 0, cd < Double(grid.width), rd >= 0, rd < Double(grid.height) else { return }
        let c = Int(cd), r = Int(rd), halo = tiling.halo
        // Tile j's padded window holds c when j·tw - halo <= c < (j+1)·tw + halo.
        let j0 = max(0, (c - halo) / tiling.tileWidth), j1 = min(tiling.columns - 1, (c + halo) / tiling.tileWidth)
        let i0 = max(0, (r - halo) / tiling.tileHeight), i1 = min(tiling.rows - 1, (r + halo) / tiling.tileHeight)
        for row in i0...i1 {
            for column in j0...j1 { try body(row * tiling.columns + column) }
        }
    }

    /// The points of tile `t`'s bin (after `binByTile`, or streamed): x, y, z = height, and the
    /// confidences, in job order (a streamed bin's segments sorted by job, each job's last
    /// generation only).
    func bin(_ t: Int) throws -> (cloud: PointCloud, confidences: [Float]) {
        var segments: [Segment]? = nil
        if isStreaming {
            segments = bins.withLock { b in b.segments[t].filter { $0.generation == b.generations[$0.job] } }
            segments!.sort { ($0.job, $0.offset) < ($1.job, $1.offset) }
            if segments!.isEmpty { return (PointCloud(x: [], y: [], z: [], epsg: grid.epsg), []) }
        }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: binPath(t))) } catch {
            throw DSMPipelineError.invalidConfiguration("cannot read the temporary point bin \(binPath(t)): \(error.localizedDescription)")
        }
        guard let segments else {
            let p = Self.decode(data)
            return (PointCloud(x: p.x, y: p.y, z: p.z, epsg: grid.epsg), p.confidences)
        }
        var x: [Double] = [], y: [Double] = [], z: [Double] = [], confidences: [Float] = []
        let total = segments.reduce(0) { $0 + $1.count }
        x.reserveCapacity(total); y.reserveCapacity(total); z.reserveCapacity(total); confidences.reserveCapacity(total)
        for segment in segments {
            let start = Int(segment.offset), end = start + segment.count * Self.recordBytes
            guard end <= data.count else {
                throw DSMPipelineError.invalidConfiguration("the temporary point bin \(binPath(t)) is truncated")
            }
            let p = Self.decode(data[start..<end])
            x += p.x; y += p.y; z += p.z; confidences += p.confidences
        }
        return (PointCloud(x: x, y: y, z: z, epsg: grid.epsg), confidences)
    }

    /// Removes tile `t`'s bin file (its tile is rasterised): the spill shrinks as tiles close.
    func dropBin(_ t: Int) {
        try? FileManager.default.removeItem(atPath: binPath(t))
    }

    /// Whether the bins are streamed (`init`'s `streamBins`).
    var isStreaming: Bool { bins.withLock { !$0.ends.isEmpty } }

    /// Marks job `job` as having no points now: its earlier segments no longer count.
    func clearJob(_ job: Int) {
        bins.withLock { if !$0.generations.isEmpty { $0.generations[job] += 1 } }
    }

    /// Appends job `job`'s points to the bins whose padded windows hold them, one segment per
    /// bin, superseding the job's earlier segments. Serialised: one job's segments at a time.
    private func stream(job: Int, tiling: Tiling, x: [Double], y: [Double], z: [Double], confidences: [Float]) throws {
        // Two passes: each point's bins counted, then its records stored at their place in one
        // exact-size buffer per bin (no per-point allocation or hashing).
        var counts = [Int](repeating: 0, count: tiling.count)
        for i in x.indices { forEachBin(x: x[i], y: y[i], tiling: tiling) { counts[$0] += 1 } }
        var buffers: [(bin: Int, bytes: [UInt8])] = []
        var slot = [Int](repeating: -1, count: tiling.count)
        for t in counts.indices where counts[t] > 0 {
            slot[t] = buffers.count
            buffers.append((t, [UInt8](repeating: 0, count: counts[t] * Self.recordBytes)))
        }
        var filled = [Int](repeating: 0, count: tiling.count)
        for i in x.indices {
            forEachBin(x: x[i], y: y[i], tiling: tiling) { t in
                let o = filled[t] * Self.recordBytes
                filled[t] += 1
                buffers[slot[t]].bytes.withUnsafeMutableBytes { raw in
                    raw.storeBytes(of: x[i], toByteOffset: o, as: Double.self)
                    raw.storeBytes(of: y[i], toByteOffset: o + 8, as: Double.self)
                    raw.storeBytes(of: z[i], toByteOffset: o + 16, as: Double.self)
                    raw.storeBytes(of: confidences[i], toByteOffset: o + 24, as: Float.self)
                }
            }
        }
        try bins.withLock { b in
            b.generations[job] += 1
            let generation = b.generations[job]
            for (t, bytes) in buffers {
                let path = binPath(t)
                if b.ends[t] == 0, !FileManager.default.createFile(atPath: path, contents: nil) {
                    throw DSMPipelineError.invalidConfiguration("cannot create the temporary point bin \(path)")
                }
                guard let handle = FileHandle(forWritingAtPath: path) else {
                    throw DSMPipelineError.invalidConfiguration("cannot open the temporary point bin \(path)")
                }
                defer { try? handle.close() }
                do {
                    try handle.seek(toOffset: b.ends[t])
                    try handle.write(contentsOf: bytes)
                } catch {
                    if NoSpaceLeft.isNoSpace(error) { throw NoSpaceLeft(path: folder, what: "the run's temporary point bins") }
                    throw DSMPipelineError.invalidConfiguration("cannot write the temporary point bin \(path): \(error.localizedDescription)")
                }
                b.segments[t].append(Segment(job: job, generation: generation, offset: b.ends[t], count: bytes.count / Self.recordBytes))
                b.ends[t] += UInt64(bytes.count)
            }
        }
    }

    private func binPath(_ t: Int) -> String { (folder as NSString).appendingPathComponent("bin-\(t).bin") }

    static func encode(x: [Double], y: [Double], z: [Double], confidences: [Float]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(x.count * recordBytes)
        for i in x.indices { appendRecord(&bytes, x[i], y[i], z[i], confidences[i]) }
        return bytes
    }

    static func appendRecord(_ bytes: inout [UInt8], _ x: Double, _ y: Double, _ z: Double, _ confidence: Float) {
        withUnsafeBytes(of: x) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: y) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: z) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: confidence) { bytes.append(contentsOf: $0) }
    }

    static func decode(_ data: Data) -> (x: [Double], y: [Double], z: [Double], confidences: [Float]) {
        let n = data.count / recordBytes
        var x = [Double](repeating: 0, count: n), y = x, z = x
        var confidences = [Float](repeating: 0, count: n)
        data.withUnsafeBytes { raw in
            for i in 0..<n {
                let o = i * recordBytes
                x[i] = raw.loadUnaligned(fromByteOffset: o, as: Double.self)
                y[i] = raw.loadUnaligned(fromByteOffset: o + 8, as: Double.self)
                z[i] = raw.loadUnaligned(fromByteOffset: o + 16, as: Double.self)
                confidences[i] = raw.loadUnaligned(fromByteOffset: o + 24, as: Float.self)
            }
        }
        return (x, y, z, confidences)
    }
}

extension PointSpill {
    /// Projects a finished tile's points to the grid's CRS, appends them as job `job`'s chunk
    /// and returns the tile's statistics without its points. Thread-safe.
    func keep(_ points: TilePoints, job: Int, pair: Int) throws -> TilePoints {
        if points.count == 0 {
            state.withLock { $0.chunks[job] = nil }  // a recomputed tile without points drops its first ones
            clearJob(job)
        } else {
            let projected = try PointCloud.projectingTile(longitudes: points.longitudes, latitudes: points.latitudes,
                                                      heights: points.heights, epsg: grid.epsg)
            try append(job: job, pair: pair, x: projected.x, y: projected.y, z: projected.z, confidences: points.confidences)
        }
        return points.withoutPoints()
    }
}
