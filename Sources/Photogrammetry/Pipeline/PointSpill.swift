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
/// - `bin-K.bin`: after the matching, the points sorted by DSM output tile (`binByTile`): a
///   point goes to every tile whose padded window (core plus the hole-filling halo) holds its
///   cell, so rasterising tile K reads only bin K.
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

    /// Creates the folder `.<output name>.points-PID-START-RANDOM` beside `output` (see `Staging`;
    /// those of dead runs are removed first).
    /// - Throws: `DSMPipelineError.invalidConfiguration` when it cannot be created.
    init(besideOutput output: String, grid: DSMGrid, jobs: Int) throws {
        Staging.removeStale(besideOutput: output)
        folder = Staging.name(besideOutput: output, tag: "points")
        self.grid = grid
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
        let halo = tiling.halo, tw = tiling.tileWidth, th = tiling.tileHeight
        let w = Double(grid.width), h = Double(grid.height)
        for chunk in chunks {
            guard let chunk, chunk.count > 0 else { continue }
            let p = try read(chunk)
            for i in 0..<chunk.count {
                let cd = grid.column(x: p.x[i]), rd = grid.row(y: p.y[i])
                guard cd >= 0, cd < w, rd >= 0, rd < h else { continue }
                let c = Int(cd), r = Int(rd)
                // Tile j's padded window holds c when j·tw - halo <= c < (j+1)·tw + halo.
                let j0 = max(0, (c - halo) / tw), j1 = min(tiling.columns - 1, (c + halo) / tw)
                let i0 = max(0, (r - halo) / th), i1 = min(tiling.rows - 1, (r + halo) / th)
                for row in i0...i1 {
                    for column in j0...j1 {
                        let t = row * tiling.columns + column
                        Self.appendRecord(&buffers[t], p.x[i], p.y[i], p.z[i], p.confidences[i])
                        if buffers[t].count >= flushAt { try flush(t) }
                    }
                }
            }
        }
        for t in 0..<bins { try flush(t) }
    }

    /// The points of tile `t`'s bin (after `binByTile`): x, y, z = height, and the confidences.
    func bin(_ t: Int) throws -> (cloud: PointCloud, confidences: [Float]) {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: binPath(t))) } catch {
            throw DSMPipelineError.invalidConfiguration("cannot read the temporary point bin \(binPath(t)): \(error.localizedDescription)")
        }
        let p = Self.decode(data)
        return (PointCloud(x: p.x, y: p.y, z: p.z, epsg: grid.epsg), p.confidences)
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
        } else {
            let projected = try PointCloud.projecting(longitudes: points.longitudes, latitudes: points.latitudes,
                                                      heights: points.heights, epsg: grid.epsg)
            try append(job: job, pair: pair, x: projected.x, y: projected.y, z: projected.z, confidences: points.confidences)
        }
        return points.withoutPoints()
    }
}
