import Foundation
import GRDB

/// The embedded backend: one SQLite database (`queue.sqlite`, WAL mode) in a data folder, shared
/// by the worker processes of one machine. Every change runs in an immediate write transaction, so
/// two processes never claim the same job.
public final class SQLiteJobQueue: JobQueue {
    /// The queue's database. Tables kept beside the queue's (the HTTP front's accounts and
    /// quotas) use it, so that their rows change in the same transaction as a submission
    /// (`submit(_:in:)`).
    public let pool: DatabasePool
    private let policy: QueuePolicy
    public let path: String

    public init(folder: String, policy: QueuePolicy = QueuePolicy()) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        path = (folder as NSString).appendingPathComponent("queue.sqlite")
        self.policy = policy
        var config = Configuration()
        config.busyMode = .timeout(30)
        do {
            pool = try DatabasePool(path: path, configuration: config)
            try Self.migrator.migrate(pool)
        } catch {
            throw QueueError.database(operation: "opening \(path)", underlying: "\(error)")
        }
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1: jobs") { db in
            try db.execute(sql: """
                CREATE TABLE jobs (
                  id INTEGER PRIMARY KEY AUTOINCREMENT,
                  kind TEXT NOT NULL, payload TEXT NOT NULL, state TEXT NOT NULL,
                  priority INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0,
                  max_attempts INTEGER NOT NULL, run_at REAL NOT NULL,
                  lease_owner TEXT, lease_expires_at REAL, cancel_requested INTEGER NOT NULL DEFAULT 0,
                  progress REAL NOT NULL DEFAULT 0, step TEXT, last_error TEXT, result TEXT,
                  idempotency_key TEXT UNIQUE, parent_id INTEGER REFERENCES jobs(id),
                  created_at REAL NOT NULL, updated_at REAL NOT NULL, finished_at REAL);
                CREATE INDEX jobs_queued ON jobs(priority DESC, id) WHERE state = 'queued';
                CREATE INDEX jobs_running ON jobs(lease_expires_at) WHERE state = 'running';
                CREATE INDEX jobs_state ON jobs(state);
                CREATE INDEX jobs_parent ON jobs(parent_id);
                """)
        }
        return m
    }

    private func write<T: Sendable>(_ operation: String, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do { return try await pool.write(body) } catch let e as QueueError { throw e } catch {
            throw QueueError.database(operation: operation, underlying: "\(error)")
        }
    }

    private func read<T: Sendable>(_ operation: String, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do { return try await pool.read(body) } catch {
            throw QueueError.database(operation: operation, underlying: "\(error)")
        }
    }

    static func fetchJob(_ db: Database, id: Int64) throws -> Job? {
        try Row.fetchOne(db, sql: "SELECT * FROM jobs WHERE id = ?", arguments: [id]).map(Job.init(row:))
    }

    public func submit(_ new: NewJob) async throws -> (job: Job, created: Bool) {
        guard new.maxAttempts >= 1 else { throw QueueError.invalidArgument("max attempts must be at least 1") }
        return try await write("submit") { db in try Self.submit(new, in: db) }
    }

    /// `submit` inside the caller's write transaction on `pool`: the job exists only if that
    /// transaction commits.
    public static func submit(_ new: NewJob, in db: Database) throws -> (job: Job, created: Bool) {
        guard new.maxAttempts >= 1 else { throw QueueError.invalidArgument("max attempts must be at least 1") }
        if let key = new.idempotencyKey,
           let row = try Row.fetchOne(db, sql: "SELECT * FROM jobs WHERE idempotency_key = ?", arguments: [key]) {
            return (Job(row: row), false)
        }
        let t = now()
        try db.execute(sql: """
            INSERT INTO jobs (kind, payload, state, priority, max_attempts, run_at, idempotency_key, parent_id, created_at, updated_at)
            VALUES (?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [new.kind, new.payload, new.priority, new.maxAttempts, new.runAt ?? t, new.idempotencyKey,
                             new.parentID, t, t])
        return (try fetchJob(db, id: db.lastInsertedRowID)!, true)
    }

    public func claim(owner: String, leaseSeconds: Double) async throws -> Job? {
        try await write("claim") { db in
            let t = now()
            try db.execute(sql: """
                UPDATE jobs SET state = CASE WHEN cancel_requested THEN 'cancelled' ELSE 'failed' END,
                  last_error = CASE WHEN cancel_requested THEN last_error
                    ELSE 'worker lost: lease expired at attempt ' || attempts || ' of ' || max_attempts
                      || COALESCE(' (last error: ' || last_error || ')', '') END,
                  lease_owner = NULL, finished_at = ?, updated_at = ?
                WHERE state = 'running' AND lease_expires_at < ? AND (attempts >= max_attempts OR cancel_requested)
                """, arguments: [t, t, t])
            try Self.failWaitingWithFailedChild(db, at: t)
            // Index lookups (queued by priority, expired leases, waiting) rather than one OR that scans finished rows.
            let candidates = try [
                Row.fetchOne(db, sql: "SELECT id, priority FROM jobs WHERE state = 'queued' AND run_at <= ? ORDER BY priority DESC, id LIMIT 1",
                             arguments: [t]),
                Row.fetchOne(db, sql: "SELECT id, priority FROM jobs WHERE state = 'running' AND lease_expires_at < ? ORDER BY priority DESC, id LIMIT 1",
                             arguments: [t]),
                Row.fetchOne(db, sql: """
                    SELECT id, priority FROM jobs WHERE state = 'waiting'
                      AND NOT EXISTS (SELECT 1 FROM jobs c WHERE c.parent_id = jobs.id AND c.state <> 'succeeded')
                    ORDER BY priority DESC, id LIMIT 1
                    """),
            ].compactMap { $0.map { (id: $0["id"] as Int64, priority: $0["priority"] as Int) } }
            guard let id = candidates.min(by: { ($0.priority, -$0.id) > ($1.priority, -$1.id) })?.id else { return nil }
            try db.execute(sql: """
                UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = ?, lease_expires_at = ?,
                  updated_at = ?, progress = 0, step = NULL WHERE id = ?
                """, arguments: [owner, t + leaseSeconds, t, id])
            return try Self.fetchJob(db, id: id)
        }
    }

    /// Waiting jobs with a child failed or cancelled for good: `failed` with that child's error;
    /// their live children cancelled (running ones flagged).
    static func failWaitingWithFailedChild(_ db: Database, at t: Double) throws {
        let failed = try Int64.fetchAll(db, sql: """
            SELECT id FROM jobs WHERE state = 'waiting'
              AND EXISTS (SELECT 1 FROM jobs c WHERE c.parent_id = jobs.id AND c.state IN ('failed', 'cancelled'))
            """)
        for id in failed {
            try db.execute(sql: """
                UPDATE jobs SET state = 'failed', last_error = \(failedChildSQL(parent: "jobs.id")), finished_at = ?, updated_at = ?
                WHERE id = ?
                """, arguments: [t, t, id])
            try cancelChildren(db, of: id, at: t)
        }
    }

    static func cancelChildren(_ db: Database, of id: Int64, at t: Double) throws {
        try db.execute(sql: "UPDATE jobs SET state = 'cancelled', finished_at = ?, updated_at = ? WHERE parent_id = ? AND state IN ('queued', 'waiting')",
                       arguments: [t, t, id])
        try db.execute(sql: "UPDATE jobs SET cancel_requested = 1, updated_at = ? WHERE parent_id = ? AND state = 'running'",
                       arguments: [t, id])
    }

    public func wait(id: Int64, owner: String) async throws -> JobState? {
        try await write("wait of job \(id) for its children") { db in
            let t = now()
            let p = childrenProgressSQL(parent: "jobs.id")
            try db.execute(sql: """
                UPDATE jobs SET state = CASE WHEN cancel_requested THEN 'cancelled' ELSE 'waiting' END,
                  finished_at = CASE WHEN cancel_requested THEN ? ELSE NULL END, attempts = attempts - 1,
                  lease_owner = NULL, lease_expires_at = NULL, progress = \(p.progress), step = \(p.step), updated_at = ?
                WHERE id = ? AND state = 'running' AND lease_owner = ?
                """, arguments: [t, t, id, owner])
            guard db.changesCount == 1, let job = try Self.fetchJob(db, id: id) else { return nil }
            if job.state == .cancelled { try Self.cancelChildren(db, of: id, at: t) }
            return job.state
        }
    }

    public func children(of id: Int64) async throws -> [Job] {
        try await read("reading the children of job \(id)") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM jobs WHERE parent_id = ? ORDER BY id", arguments: [id]).map(Job.init(row:))
        }
    }

    public func heartbeat(id: Int64, owner: String, leaseSeconds: Double, progress: Double, step: String?) async throws -> HeartbeatReply {
        try await write("heartbeat of job \(id)") { db in
            let t = now()
            try db.execute(sql: """
                UPDATE jobs SET lease_expires_at = ?, progress = ?, step = ?, updated_at = ?
                WHERE id = ? AND state = 'running' AND lease_owner = ?
                """, arguments: [t + leaseSeconds, progress, step, t, id, owner])
            guard db.changesCount == 1 else { return .leaseLost }
            let flag = try Bool.fetchOne(db, sql: "SELECT cancel_requested FROM jobs WHERE id = ?", arguments: [id]) ?? false
            return flag ? .cancelRequested : .keepGoing
        }
    }

    public func complete(id: Int64, owner: String, result: String?) async throws -> Bool {
        try await write("completion of job \(id)") { db in
            let t = now()
            try db.execute(sql: """
                UPDATE jobs SET state = 'succeeded', result = ?, progress = 100, lease_owner = NULL, lease_expires_at = NULL,
                  finished_at = ?, updated_at = ? WHERE id = ? AND state = 'running' AND lease_owner = ?
                """, arguments: [result, t, t, id, owner])
            guard db.changesCount == 1 else { return false }
            // A fanned-out parent shows its children's progress while it waits.
            let p = childrenProgressSQL(parent: "jobs.id")
            try db.execute(sql: """
                UPDATE jobs SET progress = \(p.progress), step = \(p.step), updated_at = ?
                WHERE id = (SELECT parent_id FROM jobs WHERE id = ?) AND state = 'waiting'
                """, arguments: [t, id])
            return true
        }
    }

    public func fail(id: Int64, owner: String, error: String, retryable: Bool) async throws -> JobState? {
        let policy = self.policy
        return try await write("failure of job \(id)") { db in
            guard let job = try Self.fetchJob(db, id: id), job.state == .running, job.leaseOwner == owner else { return nil }
            let t = now()
            let final = !retryable || job.attempts >= job.maxAttempts
            try db.execute(sql: """
                UPDATE jobs SET state = ?, last_error = ?, run_at = ?, lease_owner = NULL, lease_expires_at = NULL,
                  finished_at = ?, updated_at = ? WHERE id = ?
                """, arguments: [final ? "failed" : "queued", error, t + policy.backoff(afterAttempts: job.attempts),
                                 final ? t : nil, t, id])
            return final ? .failed : .queued
        }
    }

    public func release(id: Int64, owner: String) async throws {
        try await write("release of job \(id)") { db in
            try db.execute(sql: """
                UPDATE jobs SET state = 'queued', attempts = attempts - 1, lease_owner = NULL, lease_expires_at = NULL,
                  updated_at = ? WHERE id = ? AND state = 'running' AND lease_owner = ?
                """, arguments: [now(), id, owner])
        }
    }

    public func cancel(id: Int64) async throws -> Job {
        try await write("cancel of job \(id)") { db in
            let t = now()
            try db.execute(sql: "UPDATE jobs SET state = 'cancelled', finished_at = ?, updated_at = ? WHERE id = ? AND state IN ('queued', 'waiting')",
                           arguments: [t, t, id])
            try db.execute(sql: "UPDATE jobs SET cancel_requested = 1, updated_at = ? WHERE id = ? AND state = 'running'",
                           arguments: [t, id])
            try Self.cancelChildren(db, of: id, at: t)
            guard let job = try Self.fetchJob(db, id: id) else { throw QueueError.notFound(id: id) }
            return job
        }
    }

    public func markCancelled(id: Int64, owner: String) async throws {
        try await write("cancellation of job \(id)") { db in
            let t = now()
            try db.execute(sql: """
                UPDATE jobs SET state = 'cancelled', lease_owner = NULL, lease_expires_at = NULL, finished_at = ?, updated_at = ?
                WHERE id = ? AND state = 'running' AND lease_owner = ?
                """, arguments: [t, t, id, owner])
        }
    }

    public func job(id: Int64) async throws -> Job? {
        try await read("reading job \(id)") { db in try Self.fetchJob(db, id: id) }
    }

    public func list(state: JobState?, limit: Int) async throws -> [Job] {
        try await read("listing jobs") { db in
            if let state {
                return try Row.fetchAll(db, sql: "SELECT * FROM jobs WHERE state = ? ORDER BY id DESC LIMIT ?",
                                        arguments: [state.rawValue, limit]).map(Job.init(row:))
            }
            return try Row.fetchAll(db, sql: "SELECT * FROM jobs ORDER BY id DESC LIMIT ?", arguments: [limit]).map(Job.init(row:))
        }
    }

    public func counts() async throws -> [JobState: Int] {
        try await read("counting jobs") { db in
            var out: [JobState: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM jobs GROUP BY state") {
                if let s = JobState(rawValue: row["state"]) { out[s] = row["n"] }
            }
            return out
        }
    }

    public func shutdown() async { try? pool.close() }
}

extension Job {
    init(row: Row) {
        id = row["id"]
        kind = row["kind"]
        payload = row["payload"]
        state = JobState(rawValue: row["state"]) ?? .failed
        priority = row["priority"]
        attempts = row["attempts"]
        maxAttempts = row["max_attempts"]
        runAt = row["run_at"]
        leaseOwner = row["lease_owner"]
        leaseExpiresAt = row["lease_expires_at"]
        cancelRequested = row["cancel_requested"]
        progress = row["progress"]
        step = row["step"]
        lastError = row["last_error"]
        result = row["result"]
        idempotencyKey = row["idempotency_key"]
        parentID = row["parent_id"]
        createdAt = row["created_at"]
        updatedAt = row["updated_at"]
        finishedAt = row["finished_at"]
    }
}
