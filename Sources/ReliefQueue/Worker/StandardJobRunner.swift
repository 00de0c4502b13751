import Foundation
import Photogrammetry
import Raster

/// Runs the requests a worker knows: `dsm` through `DSMPipeline`, `pwh` through `PWHRecipe`, and
/// the test-only `probe`. The request is validated again against the roots before use.
public struct StandardJobRunner: JobRunner {
    public let confinement: PathConfinement
    /// Tiles of a DSM processed at once (nil: the number of cores).
    public let threads: Int?
    /// A `dsm` job matching more reference pixels than this fans out into `dsm-tile` jobs any
    /// worker can take, and a merge (see `StandardJobRunner+FanOut.swift`); nil: never.
    public let splitAbove: Int?
    /// `splitAbove`'s default: 4096 x 4096 reference pixels (about 2 minutes of matching on 2 cores).
    public static let defaultSplitAbove = 4096 * 4096
    /// Memory each job may use, bytes (the worker's budget divided by its concurrency); the
    /// pipeline sizes its tiles and threads to it. nil: the pipeline's default.
    public let memoryPerJob: Int?

    public init(confinement: PathConfinement, threads: Int? = nil, splitAbove: Int? = StandardJobRunner.defaultSplitAbove,
                memoryPerJob: Int? = nil) {
        self.confinement = confinement
        self.threads = threads
        self.splitAbove = splitAbove
        self.memoryPerJob = memoryPerJob
    }

    public var fanOutKinds: Set<String> { ["dsm"] }

    public func run(_ context: JobContext) throws -> String? {
        let request: JobRequest
        let folder: String?
        do {
            (request, folder) = try JobRequest.decode(context.job.payload).validate(confinement: confinement)
        } catch {
            throw JobFailure.permanent("\(error)")
        }
        do {
            switch request {
            case .dsm(let r):
                if let split = try fanOut(r, folder: folder!, context: context) { return split }
                return try runDSM(r, folder: folder!, context: context)
            case .dsmTile(let t): return try runDSMTile(t, folder: folder!, context: context)
            case .pwh(let r): return try runPWH(r, folder: folder!, context: context)
            case .probe(let p): return try runProbe(p, context: context)
            }
        } catch let split as JobSplit {
            throw split
        } catch {
            // Input errors fail the job at once; only transient ones are retried.
            throw FailureKind.classify(error)
        }
    }

    func runDSM(_ r: DSMRequest, folder: String, context: JobContext) throws -> String? {
        let staging = try OutputStaging(outputRoot: confinement.outputRoot, jobID: context.job.id, attempt: context.job.attempts)
        defer { staging.removeLeftovers() }
        context.reportProgress(0, "prepare")
        let c = try dsmConfiguration(r, output: staging.folder + "/dsm.tif")
        if context.isCancelled() { throw JobFailure.cancelled }
        context.reportProgress(2, "match")
        let summary: DSMRunSummary
        do {
            // The pipeline polls the flag before each tile, so a cancel stops a running DSM
            // within one tile's time.
            summary = try DSMPipeline.run(
                configuration: c,
                progress: { p in context.reportProgress(2 + 93 * p.fraction, "tiles \(p.tilesDone)/\(p.tilesTotal)") },
                isCancelled: context.isCancelled
            )
        } catch let e as DSMPipelineError {
            throw Self.failure(e)
        }
        // A finished DSM is published even when the worker is stopping: the work is done.
        context.reportProgress(97, "publish")
        let paths = try staging.publish(["dsm.tif"], to: folder)
        let g = summary.dsm.grid
        return #"{"outputs":["# + paths.map { "\"\($0)\"" }.joined(separator: ",")
            + #"],"width":\#(g.width),"height":\#(g.height),"validShare":\#(summary.validShare),"seconds":\#(summary.seconds)}"#
    }

    /// The pipeline's configuration of a request, writing the DSM to `output`.
    /// - Throws: `JobFailure.permanent` for an invalid configuration; I/O errors (geoid) as they are.
    func dsmConfiguration(_ r: DSMRequest, output: String) throws -> DSMConfiguration {
        let geoidGrid = try (r.dem?.geoid ?? r.geoid).map { try Geoid(path: $0) }
        let prior: HeightPrior = if let dem = r.dem {
            .dem(path: dem.path, geoid: dem.geoid == nil ? nil : geoidGrid)
        } else if let height = r.height {
            .range(try HeightRange.given(height.value, margin: height.margin))
        } else {
            .measured
        }
        var c = DSMConfiguration(reference: r.images[0].path, secondary: r.images[1].path, heights: prior, output: output)
        c.referenceRPC = r.images[0].rpc
        c.secondaryRPC = r.images[1].rpc
        c.roi = r.roi.map { Window(x: $0[0], y: $0[1], width: $0[2], height: $0[3]) }
        c.resolution = r.resolution
        if r.datum == "egm96" { c.datum = .geoid(try Geoid(path: r.geoid!)) }
        if let tile = r.tile { c.tileSize = tile }
        c.threads = threads
        if let memoryPerJob { c.memoryLimit = memoryPerJob }
        do { try c.validate() } catch { throw JobFailure.permanent("\(error)") }
        return c
    }

    func runProbe(_ p: ProbeRequest, context: JobContext) throws -> String? {
        var left = p.sleepMilliseconds
        while left > 0 {
            if context.isCancelled() { throw JobFailure.cancelled }
            let step = min(left, 20)
            usleep(UInt32(step * 1000))
            left -= step
            context.reportProgress(100 * Double(p.sleepMilliseconds - left) / Double(p.sleepMilliseconds), "sleep")
        }
        if context.job.attempts <= p.failAttempts {
            throw JobFailure.transient("probe failure at attempt \(context.job.attempts)")
        }
        if let s = p.sideEffect {
            let path = try confinement.output(s, field: "sideEffect")
            let line = "\(context.job.id) \(context.job.attempts)\n"
            let fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0o644)
            guard fd >= 0 else { throw JobFailure.transient("cannot open \(path): \(String(cString: strerror(errno)))") }
            defer { close(fd) }
            _ = line.withCString { write(fd, $0, strlen($0)) }
        }
        return #"{"probe":true}"#
    }
}
