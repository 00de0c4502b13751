import Foundation

/// Where a job is in its life. `queued`, `running` and `waiting` are live; the other three are final.
/// `waiting`: a job that fanned out into child jobs (tiles of a large DSM) and waits for them; it
/// is claimed again (to merge) once all its children succeeded, and fails when one fails for good.
public enum JobState: String, Sendable, Codable, CaseIterable {
    case queued, running, waiting, succeeded, failed, cancelled

    public var isFinal: Bool { self == .succeeded || self == .failed || self == .cancelled }
}

/// One row of the queue, as both backends store it. Times are seconds since 1970 (UTC).
public struct Job: Sendable, Equatable, Codable {
    public var id: Int64
    /// The request's kind (`dsm`, `pwh`, `probe`) and its JSON (`JobRequest`, versioned).
    public var kind: String
    public var payload: String
    public var state: JobState
    /// Higher first; equal priorities in submission order.
    public var priority: Int
    /// Claims so far (the running attempt included); at `maxAttempts` a failure is final.
    public var attempts: Int
    public var maxAttempts: Int
    /// Not claimed before this time (back-off after a failure).
    public var runAt: Double
    /// The worker holding the job and until when; another worker may take it after that.
    public var leaseOwner: String?
    public var leaseExpiresAt: Double?
    /// Set by `cancel` on a running job; its worker sees it at its next heartbeat.
    public var cancelRequested: Bool
    /// Progress written back by the worker: percent (0...100) and the current step.
    public var progress: Double
    public var step: String?
    /// The last error (kept when the job is `failed`).
    public var lastError: String?
    /// Result summary (JSON) of a succeeded job: the outputs written.
    public var result: String?
    /// Same key, same job: the second submission returns the first job.
    public var idempotencyKey: String?
    /// The job that fanned this one out (tile tasks of a large DSM; nil for top-level jobs).
    public var parentID: Int64?
    public var createdAt: Double
    public var updatedAt: Double
    public var finishedAt: Double?
}

/// What `submit` needs; the queue fills in the rest.
public struct NewJob: Sendable {
    public var kind: String
    public var payload: String
    public var priority: Int
    public var maxAttempts: Int
    public var idempotencyKey: String?
    public var parentID: Int64?
    /// Earliest start (nil: now).
    public var runAt: Double?

    public init(kind: String, payload: String, priority: Int = 0, maxAttempts: Int = 5,
                idempotencyKey: String? = nil, parentID: Int64? = nil, runAt: Double? = nil) {
        self.kind = kind
        self.payload = payload
        self.priority = priority
        self.maxAttempts = maxAttempts
        self.idempotencyKey = idempotencyKey
        self.parentID = parentID
        self.runAt = runAt
    }
}

/// The answer to a heartbeat.
public enum HeartbeatReply: Sendable, Equatable {
    /// Lease extended; carry on.
    case keepGoing
    /// `cancel` was called: stop, then call `markCancelled`.
    case cancelRequested
    /// The lease is no longer ours (expired and taken, or the job was finished elsewhere): stop, write nothing.
    case leaseLost
}

/// Errors of the queue itself; database errors are wrapped with the operation that failed.
public enum QueueError: Error, CustomStringConvertible, Sendable {
    case badURL(String)
    case notFound(id: Int64)
    case database(operation: String, underlying: String)
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .badURL(let s): "bad queue URL '\(s)': use a folder path, sqlite:PATH or postgres://user@host:port/db"
        case .notFound(let id): "no job \(id)"
        case .database(let op, let e): "queue database error during \(op): \(e)"
        case .invalidArgument(let s): s
        }
    }
}
