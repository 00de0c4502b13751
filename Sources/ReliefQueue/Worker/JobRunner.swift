import Foundation
import Logging

/// What a running job may use: its row, a cancellation flag to poll, a progress sink.
public struct JobContext: Sendable {
    public let job: Job
    /// True once the job was cancelled (seen at a heartbeat), its lease lost, or the worker is
    /// stopping: stop at the next step boundary. Pass it to `DSMPipeline.run(isCancelled:)`.
    public let isCancelled: @Sendable () -> Bool
    /// Percent (0...100) and the current step; written back at the next heartbeat.
    public let reportProgress: @Sendable (Double, String) -> Void
    public let logger: Logger
    /// The jobs this one fanned out at an earlier attempt (read at the claim for the kinds in
    /// `JobRunner.fanOutKinds`; empty otherwise).
    public let children: [Job]

    public init(job: Job, isCancelled: @escaping @Sendable () -> Bool, reportProgress: @escaping @Sendable (Double, String) -> Void,
                logger: Logger, children: [Job] = []) {
        self.job = job
        self.children = children
        self.isCancelled = isCancelled
        self.reportProgress = reportProgress
        self.logger = logger
    }
}

/// How a job ended other than by success.
public enum JobFailure: Error, CustomStringConvertible, Sendable {
    /// The job noticed `isCancelled` and stopped.
    case cancelled
    /// Retrying cannot help (bad request, unsupported kind).
    case permanent(String)
    /// Worth another attempt after the back-off.
    case transient(String)

    public var description: String {
        switch self {
        case .cancelled: "cancelled"
        case .permanent(let s), .transient(let s): s
        }
    }
}

/// Thrown by a runner that cut its job into child jobs (tiles of a large DSM): the worker
/// submits them (`parentID` and the priority set to the job's; same idempotency key, same
/// child, so a repeated split adds none) and the job waits (`JobQueue.wait`) until they all
/// succeeded; then it is claimed again, with its children in `JobContext.children`, to merge.
public struct JobSplit: Error, Sendable {
    public var children: [NewJob]
    public init(children: [NewJob]) { self.children = children }
}

/// Runs one job synchronously (on a worker thread) and returns its result summary (JSON).
/// Throws `JobFailure` or `JobSplit`; any other error counts as transient.
public protocol JobRunner: Sendable {
    func run(_ context: JobContext) throws -> String?
    /// Kinds whose jobs may fan out: the worker reads their children before running them.
    var fanOutKinds: Set<String> { get }
    /// Called once the queue recorded `job` as succeeded (not when the lease was lost): removes
    /// what the job's retries would have needed (a fan-out's shared tile folder).
    func succeeded(_ job: Job)
}

extension JobRunner {
    public var fanOutKinds: Set<String> { [] }
    public func succeeded(_ job: Job) {}
}
