import Foundation
import Photogrammetry
import Raster

/// Fan-out of large `dsm` jobs (issue 7): a request matching more than `splitAbove` reference
/// pixels is cut (`DSMLayout.parts`) into `dsm-tile` children, blocks of whole matching tiles
/// that any worker takes; each writes its points to a folder under the output root that all
/// workers share; the parent waits, then, claimed again once every child succeeded, fuses the
/// points into the DSM (`DSMPipeline.rasterize`) and publishes it as a one-job run does.
///
/// Every worker of a queue must use the same `splitAbove` (a repeated split must cut the same
/// parts) and see the output root at the same path (a shared folder).
extension StandardJobRunner {
    /// nil: run the request in one go. Else the merge's result, or throws `JobSplit`.
    func fanOut(_ r: DSMRequest, folder: String, context: JobContext) throws -> String? {
        let children = context.children
        if children.isEmpty {
            guard let splitAbove, splitAbove > 0 else { return nil }
            // A given ROI under the threshold: no need for the layout.
            if let roi = r.roi, roi[2] * roi[3] <= splitAbove { return nil }
        }
        if !children.isEmpty, children.allSatisfy({ $0.state == .succeeded }) {
            let tiles = try children.map { child -> DSMTileRequest in
                guard case .dsmTile(let t) = try JobRequest.decode(child.payload) else {
                    throw JobFailure.permanent("child job \(child.id) is not a dsm-tile job")
                }
                return t
            }
            if tiles.count == tiles.first?.count { return try merge(r, tiles: tiles, folder: folder, context: context) }
        }
        context.reportProgress(0, "layout")
        var c = try dsmConfiguration(r, output: folder + "/dsm.tif")
        // The cut must not depend on the worker that makes it (a repeated split must cut the
        // same parts): the layout is planned with the pipeline's default memory, not this
        // worker's `memoryPerJob` (which may shrink the tile side on a small machine).
        c.memoryLimit = DSMConfiguration(reference: c.reference, secondary: c.secondary, heights: c.heights, output: c.output).memoryLimit
        let layout: DSMLayout
        do { layout = try DSMPipeline.layout(configuration: c) } catch let e as DSMPipelineError { throw Self.failure(e) }
        let threshold = splitAbove ?? Int.max
        if children.isEmpty, layout.pixels <= threshold { return nil }
        let parts = layout.parts(maxPixels: threshold)
        if let existing = children.first, case .dsmTile(let t) = try? JobRequest.decode(existing.payload), t.count != parts.count {
            throw JobFailure.permanent("job \(context.job.id) was cut into \(t.count) parts, this worker cuts it into \(parts.count): "
                                       + "all workers of a queue must use the same --split-above")
        }
        let shared = DSMTileRequest.folder(parent: context.job.id)
        throw JobSplit(children: parts.enumerated().map { k, w in
            let t = DSMTileRequest(request: r, parent: context.job.id, index: k, count: parts.count,
                                   part: [w.x, w.y, w.width, w.height], layout: layout, folder: shared)
            return NewJob(kind: "dsm-tile", payload: JobRequest.dsmTile(t).encoded(), maxAttempts: context.job.maxAttempts,
                          idempotencyKey: DSMTileRequest.idempotencyKey(parent: context.job.id, index: k))
        })
    }

    /// A `dsm-tile` job: its part's points into the shared folder.
    func runDSMTile(_ t: DSMTileRequest, folder: String, context: JobContext) throws -> String? {
        context.reportProgress(0, "prepare")
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw JobFailure.transient("cannot create the shared folder \(folder): \(error.localizedDescription)")
        }
        let path = DSMTileRequest.pointFile(folder: folder, index: t.index)
        let c = try dsmConfiguration(t.request, output: path)
        if context.isCancelled() { throw JobFailure.cancelled }
        context.reportProgress(2, "match")
        let summary: DSMPartSummary
        do {
            summary = try DSMPipeline.matchPoints(
                configuration: c, layout: t.layout, part: Window(x: t.part[0], y: t.part[1], width: t.part[2], height: t.part[3]),
                to: path, progress: { p in context.reportProgress(2 + 97 * p.fraction, "tiles \(p.tilesDone)/\(p.tilesTotal)") },
                isCancelled: context.isCancelled)
        } catch let e as DSMPipelineError {
            // The configuration was validated above: an invalid-configuration error here is the
            // shared folder's I/O (the spill, the point file), worth another attempt.
            if case .invalidConfiguration = e { throw JobFailure.transient("\(e)") }
            throw Self.failure(e)
        }
        return #"{"tile":\#(t.index),"points":\#(summary.points),"tiles":\#(summary.tiles),"#
            + #""worker":"\#(context.job.leaseOwner ?? "")","seconds":\#(summary.seconds)}"#
    }

    /// The parent's second part: all children succeeded; fuse their points, publish the DSM,
    /// remove the shared folder.
    func merge(_ r: DSMRequest, tiles: [DSMTileRequest], folder: String, context: JobContext) throws -> String? {
        let staging = try OutputStaging(outputRoot: confinement.outputRoot, jobID: context.job.id, attempt: context.job.attempts)
        defer { staging.removeLeftovers() }
        context.reportProgress(95, "merge")
        let shared: String
        do { shared = try confinement.output(DSMTileRequest.folder(parent: context.job.id), field: "folder") } catch {
            throw JobFailure.permanent("\(error)")
        }
        let files = tiles.map { DSMTileRequest.pointFile(folder: shared, index: $0.index) }
        for (k, file) in files.enumerated() where !FileManager.default.fileExists(atPath: file) {
            throw JobFailure.permanent("tile \(k): its point file \(file) is missing (do all workers see the same output root?)")
        }
        let c = try dsmConfiguration(r, output: staging.folder + "/dsm.tif")
        let start = Date()
        let dsm: DSMSummary
        do { dsm = try DSMPipeline.rasterize(configuration: c, layout: tiles[0].layout, pointFiles: files) } catch let e as DSMPipelineError {
            throw Self.failure(e)
        }
        context.reportProgress(97, "publish")
        // The tile folder stays until the queue recorded the success (`succeeded(_:)`): a merge
        // killed after the publication runs again from the same files.
        let paths = try staging.publish(["dsm.tif"], to: folder)
        let g = dsm.grid
        let valid = Double(dsm.validCells) / Double(max(1, g.width * g.height))
        return #"{"outputs":["# + paths.map { "\"\($0)\"" }.joined(separator: ",")
            + #"],"width":\#(g.width),"height":\#(g.height),"validShare":\#(valid),"tiles":\#(tiles.count),"#
            + #""mergeSeconds":\#(Date().timeIntervalSince(start))}"#
    }

    /// A fanned-out `dsm` job recorded succeeded: its tile folder goes.
    public func succeeded(_ job: Job) {
        guard job.kind == "dsm" else { return }
        try? FileManager.default.removeItem(atPath: confinement.outputRoot + "/" + DSMTileRequest.folder(parent: job.id))
    }

    static func failure(_ e: DSMPipelineError) -> JobFailure { FailureKind.classify(e) }
}
