import Foundation
import Logging
import Metrics
import Synchronization

/// Settings of a worker process.
public struct WorkerOptions: Sendable {
    /// Jobs run at once.
    public var concurrency = 1
    /// A job not heartbeaten for this long is taken by another worker (seconds).
    public var leaseSeconds = 30.0
    /// Seconds between heartbeats (progress written back, cancellation seen within this time);
    /// well under the lease, so one late heartbeat does not lose it.
    public var heartbeatSeconds = 2.0
    /// Wait when the queue is empty (seconds).
    public var pollSeconds = 0.5
    /// Name written as the lease owner: host, process id and a random part.
    public var name = "\(ProcessInfo.processInfo.hostName):\(getpid()):\(UUID().uuidString.prefix(8))"

    public init() {}
}

/// Claims jobs and runs them, `concurrency` at a time, until `stop()`: then claims nothing more,
/// lets running jobs reach their next step boundary (they see `isCancelled`), and gives their
/// leases back (a job that finished is completed). Queue operations that fail (database restart)
/// are retried for up to a lease, then the job is left to expire and be claimed again.
public final class Worker: Sendable {
    let queue: any JobQueue
    let runner: any JobRunner
    let options: WorkerOptions
    let logger: Logger
    private let stopping = Mutex(false)

    public init(queue: any JobQueue, runner: any JobRunner, options: WorkerOptions, logger: Logger = Logger(label: "relief.worker")) {
        self.queue = queue
        self.runner = runner
        self.options = options
        var logger = logger
        logger[metadataKey: "worker"] = "\(options.name)"
        self.logger = logger
    }

    public var isStopping: Bool { stopping.withLock { $0 } }

    /// Asks the worker to stop (idempotent); `run()` returns once running jobs are finished or released.
    public func stop() {
        if stopping.withLock({ let was = $0; $0 = true; return !was }) {
            logger.notice("stopping: no new claims; running jobs finish their step or give their lease back")
        }
    }

    public func run() async {
        logger.info("worker started", metadata: ["concurrency": "\(options.concurrency)", "lease": "\(options.leaseSeconds)"])
        await withTaskGroup(of: Void.self) { group in
            for slot in 0..<options.concurrency {
                group.addTask { await self.slotLoop(slot) }
            }
        }
        logger.info("worker stopped")
    }

    private func slotLoop(_ slot: Int) async {
        var errorDelay = 0.2
        while !isStopping {
            let job: Job?
            do {
                job = try await queue.claim(owner: options.name, leaseSeconds: options.leaseSeconds)
                errorDelay = 0.2
            } catch {
                logger.warning("claim failed, retrying", metadata: ["error": "\(error)", "retryIn": "\(errorDelay)"])
                Counter(label: "relief_queue_errors_total", dimensions: [("operation", "claim")]).increment()
                await pause(errorDelay)
                errorDelay = min(errorDelay * 2, 5)
                continue
            }
            guard let job else { await pause(options.pollSeconds); continue }
            await execute(job)
        }
    }

    private func pause(_ seconds: Double) async {
        try? await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
    }

    /// What the heartbeat learned and the job reported, shared between the job's thread and the heartbeat task.
    final class RunState: Sendable {
        struct Fields { var cancelRequested = false, leaseLost = false, progress = 0.0, step: String? = nil }
        let fields = Mutex(Fields())
    }

    func execute(_ job: Job) async {
        var log = logger
        log[metadataKey: "job"] = "\(job.id)"
        log[metadataKey: "kind"] = "\(job.kind)"
        log[metadataKey: "attempt"] = "\(job.attempts)"
        let logger = log
        logger.info("job claimed", metadata: ["priority": "\(job.priority)"])
        let state = RunState()
        let children: [Job]
        if runner.fanOutKinds.contains(job.kind) {
            // On failure, none: the runner splits again (the same children) and the job waits again.
            children = (try? await persist("children", logger) { try await self.queue.children(of: job.id) }) ?? []
        } else {
            children = []
        }
        let context = JobContext(
            job: job,
            isCancelled: { [self] in state.fields.withLock { $0.cancelRequested || $0.leaseLost } || self.isStopping },
            reportProgress: { p, s in state.fields.withLock { $0.progress = p; $0.step = s } },
            logger: logger, children: children)
        let heartbeat = Task { await heartbeatLoop(job, state: state, logger: logger) }
        let start = DispatchTime.now()
        let runner = self.runner
        let outcome: Result<String?, any Error> = await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: Result { try runner.run(context) }) }
        }
        heartbeat.cancel()
        _ = await heartbeat.value
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        let fields = state.fields.withLock { $0 }
        if fields.leaseLost {
            logger.warning("lease lost while running: result dropped (another worker owns the job)")
            return
        }
        let outcomeLabel: String
        do {
            switch outcome {
            case .success(let result):
                let done = try await persist("complete", logger) { try await self.queue.complete(id: job.id, owner: self.options.name, result: result) }
                outcomeLabel = done ? "succeeded" : "lease_lost"
                if done { runner.succeeded(job) }
                logger.info(done ? "job succeeded" : "job finished but its lease was lost", metadata: ["seconds": "\(seconds)"])
            case .failure(let split as JobSplit):
                let next = try await persist("split", logger) {
                    for var child in split.children {
                        child.parentID = job.id
                        child.priority = job.priority
                        _ = try await self.queue.submit(child)
                    }
                    return try await self.queue.wait(id: job.id, owner: self.options.name)
                }
                outcomeLabel = "split"
                logger.info("job fanned out", metadata: ["children": "\(split.children.count)", "state": "\(next.map(\.rawValue) ?? "lease lost")"])
            case .failure(JobFailure.cancelled) where fields.cancelRequested:
                try await persist("cancel", logger) { try await self.queue.markCancelled(id: job.id, owner: self.options.name) }
                outcomeLabel = "cancelled"
                logger.info("job cancelled")
            case .failure(JobFailure.cancelled):
                try await persist("release", logger) { try await self.queue.release(id: job.id, owner: self.options.name) }
                outcomeLabel = "released"
                logger.info("job released (worker stopping)")
            case .failure(let error):
                let permanent = if case JobFailure.permanent = error { true } else { false }
                let next = try await persist("fail", logger) {
                    try await self.queue.fail(id: job.id, owner: self.options.name, error: "\(error)", retryable: !permanent)
                }
                outcomeLabel = next == .failed ? "failed" : "retried"
                logger.warning("job attempt failed", metadata: ["error": "\(error)", "state": "\(next.map(\.rawValue) ?? "lease lost")"])
            }
        } catch {
            outcomeLabel = "unrecorded"
            logger.error("could not record the job's end; its lease will expire and it will run again", metadata: ["error": "\(error)"])
        }
        Counter(label: "relief_jobs_finished_total", dimensions: [("kind", job.kind), ("outcome", outcomeLabel)]).increment()
        Metrics.Timer(label: "relief_job_duration_seconds", dimensions: [("kind", job.kind)], preferredDisplayUnit: .seconds)
            .recordNanoseconds(Int64(seconds * 1e9))
    }

    private func heartbeatLoop(_ job: Job, state: RunState, logger: Logger) async {
        while !Task.isCancelled {
            await pause(options.heartbeatSeconds)
            if Task.isCancelled { return }
            let f = state.fields.withLock { $0 }
            do {
                let reply = try await queue.heartbeat(id: job.id, owner: options.name, leaseSeconds: options.leaseSeconds,
                                                      progress: f.progress, step: f.step)
                switch reply {
                case .keepGoing: break
                case .cancelRequested:
                    if !f.cancelRequested { logger.info("cancellation requested") }
                    state.fields.withLock { $0.cancelRequested = true }
                case .leaseLost:
                    state.fields.withLock { $0.leaseLost = true }
                    return
                }
            } catch {
                logger.warning("heartbeat failed, retrying", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Retries a queue operation that failed (database unreachable) for up to one lease.
    private func persist<T: Sendable>(_ what: String, _ logger: Logger, _ op: @Sendable () async throws -> T) async throws -> T {
        let deadline = Date().addingTimeInterval(max(options.leaseSeconds, 5))
        var delay = 0.1
        while true {
            do { return try await op() } catch {
                if Date() > deadline { throw error }
                logger.warning("\(what) failed, retrying", metadata: ["error": "\(error)"])
                Counter(label: "relief_queue_errors_total", dimensions: [("operation", what)]).increment()
                await pause(delay)
                delay = min(delay * 2, 2)
            }
        }
    }
}
