import Foundation

/// Timing rules of a queue: how long a lease lasts and how failures back off.
public struct QueuePolicy: Sendable {
    /// Back-off after the n-th failed attempt: `baseBackoff * 2^(n-1)`, at most `maxBackoff` (seconds).
    public var baseBackoff: Double = 2
    public var maxBackoff: Double = 600

    public init(baseBackoff: Double = 2, maxBackoff: Double = 600) {
        self.baseBackoff = baseBackoff
        self.maxBackoff = maxBackoff
    }

    /// Seconds to wait before the attempt after `attempts` failed ones.
    public func backoff(afterAttempts attempts: Int) -> Double {
        min(maxBackoff, baseBackoff * pow(2, Double(max(0, attempts - 1))))
    }
}

/// The one contract both backends (`SQLiteJobQueue`, `PostgresJobQueue`) keep; `QueueContractTests`
/// runs the same tests against each.
///
/// Delivery is at least once: a job is claimed with a lease that its worker extends by heartbeats;
/// when a worker dies its lease expires and another worker claims the job again (attempts + 1).
/// Every write by a worker names the worker (`owner`) and is ignored once its lease is lost, so a
/// late worker cannot overwrite the result of the one that took over.
public protocol JobQueue: Sendable {
    /// Adds a job, or returns the live or finished job with the same idempotency key (`created` false).
    func submit(_ job: NewJob) async throws -> (job: Job, created: Bool)

    /// Takes the next job: queued ones whose `runAt` has passed, running ones whose lease has
    /// expired, and waiting ones whose children all succeeded, highest priority first, then
    /// oldest. Counts an attempt. Running jobs whose lease expired at their last attempt become
    /// `failed` ("worker lost"), cancelled ones `cancelled`; waiting jobs with a child failed or
    /// cancelled for good become `failed` with "tile K: <the child's error>" (K: the child's
    /// rank among its siblings, from 0), and their live children are cancelled.
    func claim(owner: String, leaseSeconds: Double) async throws -> Job?

    /// Extends the lease and writes the progress back.
    func heartbeat(id: Int64, owner: String, leaseSeconds: Double, progress: Double, step: String?) async throws -> HeartbeatReply

    /// Marks the job succeeded with its result; false when the lease was lost (nothing written).
    func complete(id: Int64, owner: String, result: String?) async throws -> Bool

    /// Records a failed attempt: queued again after the back-off, or `failed` at the last attempt
    /// (or when `retryable` is false). Returns the new state, nil when the lease was lost.
    func fail(id: Int64, owner: String, error: String, retryable: Bool) async throws -> JobState?

    /// Gives the job back untouched (graceful stop): queued at once, this attempt not counted.
    func release(id: Int64, owner: String) async throws

    /// Cancels a queued or waiting job at once, flags a running one (its worker stops at its next
    /// heartbeat); the same for its children. Returns the job after the change; final jobs are
    /// left as they are.
    func cancel(id: Int64) async throws -> Job

    /// The worker's end of an attempt that fanned out (children submitted with `parentID` = id):
    /// the job becomes `waiting`, this attempt not counted, its progress that of its children
    /// (5 + 90 × succeeded / all) — or `cancelled`, with its children, when a cancel was asked
    /// meanwhile. Returns the new state, nil when the lease was lost.
    func wait(id: Int64, owner: String) async throws -> JobState?

    /// The jobs `id` fanned out, in submission order (tile k is the k-th).
    func children(of id: Int64) async throws -> [Job]

    /// The worker's acknowledgement of a cancellation: the job becomes `cancelled`.
    func markCancelled(id: Int64, owner: String) async throws

    func job(id: Int64) async throws -> Job?
    /// Jobs, newest first, optionally of one state.
    func list(state: JobState?, limit: Int) async throws -> [Job]
    /// Number of jobs in each state (for metrics and `list`).
    func counts() async throws -> [JobState: Int]

    /// Closes connections.
    func shutdown() async
}

/// Opens the queue a `--queue` value names: `postgres://...` (or `postgresql://`), else a folder
/// (optionally written `sqlite:PATH`) holding `queue.sqlite`.
public func openQueue(_ url: String, policy: QueuePolicy = QueuePolicy()) async throws -> any JobQueue {
    if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
        return try await PostgresJobQueue(url: url, policy: policy)
    }
    let folder = url.hasPrefix("sqlite:") ? String(url.dropFirst("sqlite:".count)) : url
    guard !folder.isEmpty else { throw QueueError.badURL(url) }
    return try SQLiteJobQueue(folder: folder, policy: policy)
}

/// SQL (the same text for both backends) of a fanned-out job's progress and step from its
/// children: 5 + 90 × succeeded / all, "tiles DONE/ALL". `parent` is an SQL expression of its id.
func childrenProgressSQL(parent: String) -> (progress: String, step: String) {
    let done = "(SELECT COUNT(*) FROM jobs c WHERE c.parent_id = \(parent) AND c.state = 'succeeded')"
    let all = "(SELECT COUNT(*) FROM jobs c WHERE c.parent_id = \(parent))"
    return ("COALESCE(5 + 90.0 * \(done) / NULLIF(\(all), 0), 5)", "'tiles ' || \(done) || '/' || \(all)")
}

/// SQL of the error a failed fan-out takes from its first child failed or cancelled for good.
func failedChildSQL(parent: String) -> String {
    """
    (SELECT 'tile ' || (SELECT COUNT(*) FROM jobs s WHERE s.parent_id = \(parent) AND s.id < c.id) || ': '
       || CASE WHEN c.state = 'cancelled' THEN 'cancelled' ELSE COALESCE(c.last_error, 'failed') END
     FROM jobs c WHERE c.parent_id = \(parent) AND c.state IN ('failed', 'cancelled') ORDER BY c.id LIMIT 1)
    """
}

/// Seconds since 1970, the time unit of the queue.
/// Workers on several machines must have synchronised clocks (NTP): leases and back-off compare them.
@inline(__always) func now() -> Double { Date().timeIntervalSince1970 }
