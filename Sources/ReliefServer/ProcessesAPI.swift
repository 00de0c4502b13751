import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ReliefQueue
import Synchronization

/// OGC API - Processes - Part 1: Core over the job queue: routes, authentication, quotas.
/// One instance serves every connection (`Sendable`; the queue and account store are too).
public final class ProcessesAPI: Sendable {
    let queue: any JobQueue
    let accounts: any AccountStore
    let config: ServerConfiguration
    let parser: ExecuteRequestParser
    let limiter: RateLimiter
    /// Range reads of outputs (`/jobs/ID/files/NAME`), limited apart from the rest.
    let fileLimiter: RateLimiter
    let gate = SubmissionGate()
    let logger: Logger
    /// token hash -> (account, expiry): status polls skip the database.
    private let cache = Mutex<[String: (Account, Double)]>([:])
    /// job id -> owner (immutable but for `charge`, updated here when this server settles it).
    private let owners = Mutex<[Int64: JobOwnership]>([:])

    func owner(jobID: Int64) async throws -> JobOwnership? {
        if let o = owners.withLock({ $0[jobID] }) { return o }
        guard let o = try await accounts.owner(jobID: jobID) else { return nil }
        owners.withLock { c in
            if c.count > 100_000 { c.removeAll() }
            c[jobID] = o
        }
        return o
    }

    public init(queue: any JobQueue, accounts: any AccountStore, config: ServerConfiguration, logger: Logger = Logger(label: "relief.http")) throws {
        self.queue = queue
        self.accounts = accounts
        self.config = config
        let catalogue = try Catalogue(root: config.catalogueRoot)
        let confinement: PathConfinement
        do { confinement = try PathConfinement(inputRoots: [catalogue.root] + config.dataRoots, outputRoot: config.outputRoot) } catch {
            throw APIError.internalError("\(error)")
        }
        let clientText = ClientText(roots: [config.catalogueRoot, catalogue.root, config.outputRoot, confinement.outputRoot]
                                    + config.dataRoots + confinement.inputRoots)
        self.parser = ExecuteRequestParser(catalogue: catalogue, confinement: confinement, clientText: clientText, limits: config.admission)
        self.limiter = RateLimiter(perMinute: config.requestsPerMinute)
        self.fileLimiter = RateLimiter(perMinute: config.fileReadsPerMinute)
        self.logger = logger
    }

    /// The router of the whole API.
    public func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: CORSMiddleware(origins: Set(config.corsOrigins)))
        router.add(middleware: ErrorMiddleware(logger: logger))
        router.get("/") { request, _ in jsonResponse(document: self.landingPage(base: self.base(request))) }
        router.get("/conformance") { _, _ in jsonResponse(document: ConformanceDeclaration(conformsTo: conformanceClasses)) }
        router.get("/api") { request, _ in
            jsonResponse(openAPIDocument(base: self.base(request)), headers: [.contentType: "application/vnd.oai.openapi+json;version=3.0"])
        }
        router.get("/processes") { request, _ in
            let base = self.base(request)
            return jsonResponse(["processes": ProcessDescriptions.ids.map { ProcessDescriptions.summary($0, base: base) },
                                 "links": [["href": "\(base)/processes", "rel": "self", "type": "application/json"]]])
        }
        router.get("/processes/:id") { request, context in
            let id = try context.parameters.require("id")
            guard ProcessDescriptions.ids.contains(id) else { throw APIError.noSuchProcess(id) }
            return jsonResponse(ProcessDescriptions.description(id, base: self.base(request)))
        }
        router.post("/processes/:id/execution") { request, context in try await self.execute(request, context: context) }
        router.get("/jobs") { request, _ in try await self.listJobs(request) }
        router.get("/jobs/:id") { request, context in
            let (_, job, owner) = try await self.visibleJob(request, context: context)
            return jsonResponse(document: statusInfo(job, owner: owner, base: self.base(request), text: self.parser.clientText))
        }
        router.delete("/jobs/:id") { request, context in
            let (_, job, owner) = try await self.visibleJob(request, context: context)
            if job.state.isFinal { return try await self.dismissFinished(job, owner: owner, request: request) }
            // Live: cancelled (a running job's worker stops at its next heartbeat); its
            // reservation is released once it is final.
            let after = try await self.queue.cancel(id: job.id)
            if after.state.isFinal { try await self.settle(owner, job: after) }
            return jsonResponse(document: statusInfo(after, owner: owner, base: self.base(request), text: self.parser.clientText))
        }
        router.get("/jobs/:id/results") { request, context in
            let (_, job, _) = try await self.visibleJob(request, context: context)
            if job.state == .failed { throw APIError.jobFailed(job.id, message: self.parser.clientText.scrub(job.lastError ?? "failed")) }
            try Self.requireSucceeded(job)
            let base = self.base(request)
            var results = ResultsDocument(outputs: [:])
            for o in outputFiles(job) {
                // Keys are the process's output ids: `dsm`; for pwh `ortho` (the COG) and
                // `stacItem` (the recipe's own Item, assets relative to it).
                let isItem = (o.name as NSString).pathExtension.lowercased() == "json"
                let key = isItem ? "stacItem" : (job.kind == "pwh" ? "ortho" : (o.name as NSString).deletingPathExtension)
                results.outputs[key] = .init(href: "\(base)/jobs/\(job.id)/files/\(o.name)", type: isItem ? "application/geo+json" : cogMediaType)
            }
            results.outputs["stac"] = .init(href: "\(base)/jobs/\(job.id)/stac", type: "application/geo+json")
            return jsonResponse(document: results)
        }
        router.get("/jobs/:id/stac") { request, context in
            let (_, job, owner) = try await self.visibleJob(request, context: context)
            try Self.requireSucceeded(job)
            let footprint = (try? JSONSerialization.jsonObject(with: Data(owner.footprint.utf8)) as? [[[Double]]]) ?? []
            let base = self.base(request), outputs = self.confinedOutputs(job)
            // GDAL (the images' metadata, the raster's grid) off the cooperative pool.
            let data = await offPool { () -> Data in
                let item = stacItem(jobID: job.id, process: owner.process, footprint: footprint, finished: job.finishedAt ?? job.updatedAt,
                                    acquired: acquisitionImages(job).compactMap(AcquisitionTime.read), outputs: outputs, base: base)
                return (try? item.encoded()) ?? Data("{}".utf8)
            }
            return Response(status: .ok, headers: [.contentType: "application/geo+json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        let file: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, context in
            let (_, job, _) = try await self.visibleJob(request, context: context)
            try Self.requireSucceeded(job)
            let name = try context.parameters.require("name")
            guard let output = self.confinedOutputs(job).first(where: { $0.name == name }) else {
                throw APIError(.notFound, type: "urn:relief:no-such-file", title: "No such file", detail: "job \(job.id) has no output '\(name)'")
            }
            if (name as NSString).pathExtension.lowercased() == "json" {
                guard let data = FileManager.default.contents(atPath: output.path) else {
                    throw APIError(.notFound, type: "urn:relief:no-such-file", title: "No such file", detail: "the output is gone")
                }
                return Response(status: .ok, headers: [.contentType: "application/geo+json"],
                                body: .init(byteBuffer: ByteBuffer(bytes: withoutLocalHrefs(data))))
            }
            return try serveFile(output.path, contentType: cogMediaType, request: request)
        }
        router.get("/jobs/:id/files/:name", use: file)
        router.head("/jobs/:id/files/:name", use: file)
        router.get("/quota") { request, _ in
            let account = try await self.authenticate(request)
            let q = try await self.remaining(entity: account.entity)
            return jsonResponse(document: QuotaDocument(entity: account.entity, quotaKm2: q.quota, usedKm2: q.used, reservedKm2: q.reserved,
                                                        remainingKm2: q.remaining, jobsInFlight: q.inFlight))
        }
        return router
    }

    // MARK: Pieces

    func base(_ request: Request) -> String {
        if let p = config.publicURL { return p.hasSuffix("/") ? String(p.dropLast()) : p }
        return "http://" + (request.head.authority ?? "\(config.host):\(config.port)")
    }

    func landingPage(base: String) -> LandingPage {
        LandingPage(
            title: "Relief processing service",
            description: "OGC API - Processes: digital surface models and Pléiades products from catalogue stereo pairs.",
            links: [
                OGCLink(href: "\(base)/", rel: "self", type: "application/json", title: "this document"),
                OGCLink(href: "\(base)/api", rel: "service-desc", type: "application/vnd.oai.openapi+json;version=3.0", title: "the API definition"),
                OGCLink(href: "\(base)/conformance", rel: "http://www.opengis.net/def/rel/ogc/1.0/conformance", type: "application/json", title: "conformance classes"),
                OGCLink(href: "\(base)/processes", rel: "http://www.opengis.net/def/rel/ogc/1.0/processes", type: "application/json", title: "processes"),
                OGCLink(href: "\(base)/jobs", rel: "http://www.opengis.net/def/rel/ogc/1.0/job-list", type: "application/json", title: "jobs"),
            ])
    }

    /// The account of the request's bearer token, after its rate limit.
    func authenticate(_ request: Request) async throws -> Account {
        guard let header = request.headers[.authorization] else { throw APIError.unauthorized("missing 'Authorization: Bearer TOKEN' header") }
        guard header.hasPrefix("Bearer "), case let token = header.dropFirst(7).trimmingCharacters(in: .whitespaces), !token.isEmpty else {
            throw APIError.unauthorized("the Authorization header must be 'Bearer TOKEN'")
        }
        let hash = Token.hash(token)
        // Two classes, counted apart: range reads of outputs (a COG reader makes dozens per
        // open) cannot use up the budget of status polls and submissions, nor the reverse.
        let reading = Self.isFileRead(request.uri.path)
        let limiter = reading ? fileLimiter : self.limiter
        if let wait = limiter.admit(hash) {
            throw APIError(.tooManyRequests, type: "urn:relief:rate-limit", title: "Too many requests",
                           detail: "more than \(limiter.perMinute) \(reading ? "file reads" : "requests") this minute; retry in \(wait) s",
                           headers: [.retryAfter: "\(wait)"])
        }
        let now = Date().timeIntervalSince1970
        if let (account, expiry) = cache.withLock({ $0[hash] }), expiry > now { return account }
        guard let account = try await accounts.account(token: token) else { throw APIError.unauthorized("unknown or revoked token") }
        cache.withLock { c in
            if c.count > 10_000 { c.removeAll() }
            c[hash] = (account, now + config.accountCacheSeconds)
        }
        return account
    }

    /// The job named in the path, when the caller may see it (404 otherwise, whether it exists or not).
    func visibleJob(_ request: Request, context: BasicRequestContext) async throws -> (Account, Job, JobOwnership) {
        let account = try await authenticate(request)
        let text = try context.parameters.require("id")
        guard let id = Int64(text), let owner = try await owner(jobID: id),
              account.canSee(owner: owner.user, entity: owner.entity), let job = try await queue.job(id: id) else {
            throw APIError.noSuchJob(text)
        }
        if job.state.isFinal, owner.charge == .reserved { try await settle(owner, job: job) }
        return (account, job, owner)
    }

    /// DELETE of a finished job: its output folder is removed and the job is hidden from then
    /// on (404). Its charge is kept as settled: a succeeded job's area stays used (the work was
    /// done), a failed or dismissed one was never charged.
    func dismissFinished(_ job: Job, owner: JobOwnership, request: Request) async throws -> Response {
        let folder: String? = switch try? JobRequest.decode(job.payload) {
        case .dsm(let r)?: r.output
        case .pwh(let r)?: r.output
        default: nil
        }
        // The folder the server named for this job (entity/user/process-id), confined to the output root.
        if let folder, let path = try? parser.confinement.output(folder, field: "output") {
            try? FileManager.default.removeItem(atPath: path)
        }
        try await accounts.dismiss(jobID: job.id)
        owners.withLock { _ = $0.removeValue(forKey: job.id) }
        logger.info("finished job dismissed", metadata: ["job": "\(job.id)", "charge": "\(owner.charge.rawValue)"])
        var info = statusInfo(job, owner: owner, base: base(request), text: parser.clientText)
        info.status = "dismissed"
        info.message = "dismissed: its files are removed" + (job.state == .succeeded ? "; its area stays charged" : "")
        info.links = []
        return jsonResponse(document: info)
    }

    static func requireSucceeded(_ job: Job) throws {
        guard job.state == .succeeded else { throw APIError.resultNotReady("\(job.id)", state: ogcStatus(job)) }
    }

    /// Outputs of a job that really lie under the output root (a result row cannot point elsewhere).
    func confinedOutputs(_ job: Job) -> [(name: String, path: String)] {
        let root = parser.confinement.outputRoot
        return outputFiles(job).filter { o in
            guard let p = realpath(o.path, nil) else { return false }
            defer { free(p) }
            return String(cString: p).hasPrefix(root + "/")
        }
    }

    /// Charges a finished job's area when it succeeded, frees it otherwise.
    func settle(_ owner: JobOwnership, job: Job) async throws {
        guard job.state.isFinal else { return }
        let charge: JobOwnership.Charge = job.state == .succeeded ? .charged : .released
        try await accounts.settle(jobID: owner.jobID, as: charge)
        owners.withLock { $0[owner.jobID]?.charge = charge }
    }

    /// Quota, use, reservations of jobs in flight, and what is left. With `settling`, finished
    /// jobs still reserved are settled first (one queue read per reserved job); without, one
    /// query, and a finished but unsettled job still counts as reserved (never under-counts).
    func remaining(entity: String, settling: Bool = true) async throws -> (quota: Double, used: Double, reserved: Double, remaining: Double, inFlight: Int) {
        if !settling {
            let t = try await accounts.quotaTotals(entity: entity)
            return (t.quotaKm2, t.usedKm2, t.reservedKm2, t.remainingKm2, t.reservedJobs)
        }
        var q = try await accounts.quota(entity: entity)
        var settled = false
        for o in q.reserved {
            let job = try await queue.job(id: o.jobID)
            if let job, !job.state.isFinal { continue }
            let charge: JobOwnership.Charge = job?.state == .succeeded ? .charged : .released
            try await accounts.settle(jobID: o.jobID, as: charge)
            owners.withLock { $0[o.jobID]?.charge = charge }
            settled = true
        }
        if settled { q = try await accounts.quota(entity: entity) }
        let reserved = q.reserved.reduce(0) { $0 + $1.areaKm2 }
        return (q.quotaKm2, q.usedKm2, reserved, q.quotaKm2 - q.usedKm2 - reserved, q.reserved.count)
    }

    func execute(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let account = try await authenticate(request)
        let process = try context.parameters.require("id")
        guard ProcessDescriptions.ids.contains(process) else { throw APIError.noSuchProcess(process) }
        let body: ByteBuffer
        do { body = try await request.body.collect(upTo: config.maxBodyBytes) } catch is NIOTooManyBytesError {
            throw APIError.tooLarge(limit: config.maxBodyBytes)
        }
        let key = try Self.idempotencyKey(request)
        let bodySHA256 = SHA256.hash(data: Data(buffer: body)).map { String(format: "%02x", $0) }.joined()
        // A retry answers the job its first submission made, without parsing or charging again.
        if let key, let replay = try await replayed(account: account, key: key, bodySHA256: bodySHA256, request: request) { return replay }
        let folder = "\(account.entity)/\(account.user)/\(process)-\(UUID().uuidString.prefix(13).lowercased())"
        // GDAL (image open, RPC, footprint) blocks for milliseconds: off the cooperative pool
        // (2 threads on 2 cores), so that status polls are not held behind it.
        let parser = self.parser
        let plan = try await withCheckedThrowingContinuation { (c: CheckedContinuation<PlannedJob, Error>) in
            DispatchQueue.global().async {
                c.resume(with: Result { try parser.parse(process: process, body: Data(buffer: body), outputFolder: folder) })
            }
        }
        let footprint = String(decoding: try JSONSerialization.data(withJSONObject: plan.footprint), as: UTF8.self)
        let owner = JobOwnership(jobID: 0, user: account.user, entity: account.entity, process: process, areaKm2: plan.areaKm2,
                                 footprint: footprint, charge: .reserved)
        let newJob = NewJob(kind: plan.request.kind, payload: plan.request.encoded(), maxAttempts: 3)
        // The job, its reservation and its key are written in one transaction of the queue's
        // database, which also checks the quota (the entity's row locked). One submission per
        // entity at a time in this process besides, so that they do not queue on that lock.
        let outcome = try await gate.serialise(entity: account.entity) { () async throws -> Submission in
            var charged = try await self.accounts.submit(newJob, owner: owner, key: key, bodySHA256: bodySHA256)
            if case .overQuota = charged {
                // Finished jobs may still hold reservations: settle them, then try once more.
                _ = try await self.remaining(entity: account.entity)
                charged = try await self.accounts.submit(newJob, owner: owner, key: key, bodySHA256: bodySHA256)
            }
            switch charged {
            case .created(let job, let o): return .created(job, o)
            case .replayed(let first):
                guard let key, let replay = try await self.replayed(first, account: account, key: key, bodySHA256: bodySHA256, request: request) else {
                    throw APIError.internalError("the idempotency record of job \(first.jobID) has no visible job")
                }
                return .replayed(replay)
            case .overQuota(let q):
                func km(_ v: Double) -> String { String(format: "%.3f", v) }
                throw APIError.quotaExceeded("this request covers \(km(plan.areaKm2)) km² but entity '\(account.entity)' has \(km(max(0, q.remainingKm2))) km² left "
                                             + "(quota \(km(q.quotaKm2)), used \(km(q.usedKm2)), reserved \(km(q.reservedKm2)) by \(q.reservedJobs) job(s) in flight)")
            }
        }
        let (job, recorded): (Job, JobOwnership)
        switch outcome {
        case .replayed(let replay): return replay
        case .created(let j, let o): (job, recorded) = (j, o)
        }
        logger.info("job submitted", metadata: ["job": "\(job.id)", "user": "\(account.user)", "process": "\(process)", "km2": "\(plan.areaKm2)"])
        var headers: HTTPFields = [.location: "\(base(request))/jobs/\(job.id)"]
        // Jobs always run asynchronously: a client asking for it is told so (RFC 7240).
        if Self.prefersAsync(request) { headers[Self.preferenceApplied] = "respond-async" }
        return jsonResponse(document: statusInfo(job, owner: recorded, base: base(request), text: self.parser.clientText), status: .created, headers: headers)
    }

    func listJobs(_ request: Request) async throws -> Response {
        let account = try await authenticate(request)
        let limit = try Self.queryInteger(request, "limit", in: 1...1000) ?? 10
        let offset = try Self.queryInteger(request, "offset", in: 0...1_000_000_000) ?? 0
        let owners = try await accounts.jobs(visibleTo: account, limit: limit + 1, offset: offset)
        let base = base(request)
        var jobs: [StatusInfo] = []
        for o in owners.prefix(limit) {
            if let job = try await queue.job(id: o.jobID) { jobs.append(statusInfo(job, owner: o, base: base, text: self.parser.clientText)) }
        }
        var links = [OGCLink(href: "\(base)/jobs?limit=\(limit)&offset=\(offset)", rel: "self", type: "application/json")]
        if owners.count > limit {
            links.append(OGCLink(href: "\(base)/jobs?limit=\(limit)&offset=\(offset + limit)", rel: "next", type: "application/json"))
        }
        return jsonResponse(document: JobList(jobs: jobs, links: links))
    }
}

/// What a submission did: made a job, or found the one its idempotency key made.
enum Submission: Sendable {
    case created(Job, JobOwnership)
    case replayed(Response)
}

/// Runs submissions of one entity one after the other (different entities in parallel).
actor SubmissionGate {
    private var busy: Set<String> = []
    private var waiters: [String: [CheckedContinuation<Void, Never>]] = [:]

    func serialise<T: Sendable>(entity: String, _ body: @Sendable () async throws -> T) async throws -> T {
        while busy.contains(entity) {
            await withCheckedContinuation { waiters[entity, default: []].append($0) }
        }
        busy.insert(entity)
        defer {
            busy.remove(entity)
            if var w = waiters[entity], !w.isEmpty { w.removeFirst().resume(); waiters[entity] = w }
        }
        return try await body()
    }
}

let conformanceClasses = [
    "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/ogc-process-description",
    "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/json",
    "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/job-list",
    "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/dismiss",
    "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/oas30",
]
