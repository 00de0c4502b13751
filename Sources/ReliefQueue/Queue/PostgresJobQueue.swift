import Foundation
import Logging
import PostgresNIO
import Synchronization

/// The shared backend: a PostgreSQL database many workers on many machines use at once. A claim is
/// one `UPDATE ... WHERE id = (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING`, so workers never wait
/// on each other's rows; its two candidate lookups (queued by priority, expired leases) each use
/// a partial index, so finished rows do not slow it down. The schema is created and migrated by the program (under an advisory lock,
/// so workers starting together do it once). `PostgresClient`'s pool opens new connections after a
/// server restart; operations that fail meanwhile throw, and the worker retries them.
public final class PostgresJobQueue: JobQueue {
    /// The queue's connection pool. Tables kept beside the queue's (the HTTP front's accounts
    /// and quotas) use it, so that their rows change in the same transaction as a submission
    /// (`submit(_:on:)` inside `client.withTransaction`).
    public let client: PostgresClient
    /// The queue's logger, for statements of callers that share its connections.
    public let logger: Logger
    private let runTask: Task<Void, Never>
    private let policy: QueuePolicy

    /// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE` (TLS is not used: loopback or private network).
    public init(url: String, policy: QueuePolicy = QueuePolicy(), logger: Logger = Logger(label: "relief.queue.postgres")) async throws {
        guard let c = URLComponents(string: url), let host = c.host, !host.isEmpty else { throw QueueError.badURL(url) }
        let database = c.path.hasPrefix("/") ? String(c.path.dropFirst()) : c.path
        var config = PostgresClient.Configuration(host: host, port: c.port ?? 5432, username: c.user ?? "postgres",
                                                  password: c.password, database: database.isEmpty ? nil : database, tls: .disable)
        config.options.connectTimeout = .seconds(5)
        config.options.maximumConnections = 8
        self.policy = policy
        self.logger = logger
        client = PostgresClient(configuration: config, backgroundLogger: logger)
        let client = self.client
        runTask = Task { await client.run() }
        do { try await migrate() } catch {
            runTask.cancel()
            throw QueueError.database(operation: "creating the schema at \(host)", underlying: String(reflecting: error))
        }
    }

    /// Schema versions in order; each runs once, recorded in `relief_schema`.
    static let migrations: [String] = [
        """
        CREATE TABLE jobs (
          id BIGSERIAL PRIMARY KEY,
          kind TEXT NOT NULL, payload TEXT NOT NULL, state TEXT NOT NULL,
          priority BIGINT NOT NULL DEFAULT 0, attempts BIGINT NOT NULL DEFAULT 0,
          max_attempts BIGINT NOT NULL, run_at DOUBLE PRECISION NOT NULL,
          lease_owner TEXT, lease_expires_at DOUBLE PRECISION, cancel_requested BOOLEAN NOT NULL DEFAULT FALSE,
          progress DOUBLE PRECISION NOT NULL DEFAULT 0, step TEXT, last_error TEXT, result TEXT,
          idempotency_key TEXT UNIQUE, parent_id BIGINT REFERENCES jobs(id),
          created_at DOUBLE PRECISION NOT NULL, updated_at DOUBLE PRECISION NOT NULL, finished_at DOUBLE PRECISION);
        CREATE INDEX jobs_queued ON jobs (priority DESC, id) WHERE state = 'queued';
        CREATE INDEX jobs_state ON jobs (state);
        CREATE INDEX jobs_running ON jobs (lease_expires_at) WHERE state = 'running';
        CREATE INDEX jobs_parent ON jobs (parent_id);
        """,
    ]

    private func migrate() async throws {
        let logger = self.logger
        try await client.withConnection { conn in
            try await conn.query("SELECT pg_advisory_lock(70070001)", logger: logger)
            do {
                try await conn.query("CREATE TABLE IF NOT EXISTS relief_schema (version BIGINT NOT NULL)", logger: logger)
                var current = 0
                for try await v in try await conn.query("SELECT COALESCE(MAX(version), 0) FROM relief_schema", logger: logger).decode(Int.self) {
                    current = v
                }
                for (i, sql) in Self.migrations.enumerated() where i + 1 > current {
                    for statement in sql.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespacesAndNewlines) }) where !statement.isEmpty {
                        try await conn.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    try await conn.query("INSERT INTO relief_schema (version) VALUES (\(i + 1))", logger: logger)
                }
                try await conn.query("SELECT pg_advisory_unlock(70070001)", logger: logger)
            } catch {
                _ = try? await conn.query("SELECT pg_advisory_unlock(70070001)", logger: logger)
                throw error
            }
        }
    }

    static let columns = """
        id, kind, payload, state, priority, attempts, max_attempts, run_at, lease_owner, lease_expires_at, cancel_requested, \
        progress, step, last_error, result, idempotency_key, parent_id, created_at, updated_at, finished_at
        """

    /// Longest a single statement may take before it counts as failed (see `withDeadline`).
    static let statementDeadline = 15.0

    private func jobs(_ operation: String, _ query: PostgresQuery) async throws -> [Job] {
        let (client, logger) = (self.client, self.logger)
        do {
            return try await withDeadline(Self.statementDeadline, operation) {
                var out: [Job] = []
                for try await row in try await client.query(query, logger: logger) { out.append(try Job(postgres: row)) }
                return out
            }
        } catch let e as QueueError { throw e } catch {
            throw QueueError.database(operation: operation, underlying: String(reflecting: error))
        }
    }

    private func execute(_ operation: String, _ query: PostgresQuery) async throws -> Int {
        let (client, logger) = (self.client, self.logger)
        do {
            return try await withDeadline(Self.statementDeadline, operation) {
                var n = 0
                for try await _ in try await client.query(query, logger: logger) { n += 1 }
                return n
            }
        } catch let e as QueueError { throw e } catch {
            throw QueueError.database(operation: operation, underlying: String(reflecting: error))
        }
    }

    public func submit(_ new: NewJob) async throws -> (job: Job, created: Bool) {
        guard new.maxAttempts >= 1 else { throw QueueError.invalidArgument("max attempts must be at least 1") }
        let (client, logger) = (self.client, self.logger)
        do {
            return try await withDeadline(Self.statementDeadline, "submit") {
                try await client.withConnection { try await Self.submit(new, on: $0, logger: logger) }
            }
        } catch let e as QueueError { throw e } catch {
            throw QueueError.database(operation: "submit", underlying: String(reflecting: error))
        }
    }

    /// `submit` on a connection, inside the caller's transaction when it opened one
    /// (`client.withTransaction`): the job exists only if that transaction commits.
    public static func submit(_ new: NewJob, on connection: PostgresConnection, logger: Logger) async throws -> (job: Job, created: Bool) {
        guard new.maxAttempts >= 1 else { throw QueueError.invalidArgument("max attempts must be at least 1") }
        let t = now()
        // Rows read to the end before returning: the connection may carry more statements of the transaction.
        var inserted: [Job] = []
        for try await row in try await connection.query("""
            INSERT INTO jobs (kind, payload, state, priority, max_attempts, run_at, idempotency_key, parent_id, created_at, updated_at)
            VALUES (\(new.kind), \(new.payload), 'queued', \(new.priority), \(new.maxAttempts), \(new.runAt ?? t),
                    \(new.idempotencyKey), \(new.parentID), \(t), \(t))
            ON CONFLICT (idempotency_key) DO NOTHING RETURNING \(unescaped: columns)
            """, logger: logger) { inserted.append(try Job(postgres: row)) }
        if let job = inserted.first { return (job, true) }
        guard let key = new.idempotencyKey else { throw QueueError.database(operation: "submit", underlying: "insert returned no row") }
        var existing: [Job] = []
        for try await row in try await connection.query("SELECT \(unescaped: columns) FROM jobs WHERE idempotency_key = \(key)", logger: logger) {
            existing.append(try Job(postgres: row))
        }
        guard let job = existing.first else { throw QueueError.database(operation: "submit", underlying: "no job with key '\(key)' after a conflict on it") }
        return (job, false)
    }

    /// Runs `body` in one transaction on a connection of the queue's pool (committed when it
    /// returns, rolled back when it throws, given up after the statement deadline). Errors of
    /// `body` come out as thrown; the database's as `QueueError.database(operation, ...)`.
    public func transaction<T: Sendable>(_ operation: String, _ body: @escaping @Sendable (PostgresConnection, Logger) async throws -> T) async throws -> T {
        let (client, logger) = (self.client, self.logger)
        do {
            return try await withDeadline(Self.statementDeadline, operation) {
                try await client.withTransaction(logger: logger) { try await body($0, logger) }
            }
        } catch let e as PostgresTransactionError {
            if let inner = e.closureError, !(inner is PSQLError) { throw inner }
            throw QueueError.database(operation: operation, underlying: String(reflecting: e))
        } catch let e as QueueError { throw e } catch {
            throw QueueError.database(operation: operation, underlying: String(reflecting: error))
        }
    }

    /// Time of the last sweep of expired leases at their last attempt (at most one per 0.1 s per
    /// queue: at 1,000 claims/s the sweep would otherwise be a third of the statements).
    private let lastSweep = Mutex(0.0)

    public func claim(owner: String, leaseSeconds: Double) async throws -> Job? {
        let t = now()
        let sweep = lastSweep.withLock { last in
            guard t - last >= 0.1 else { return false }
            last = t
            return true
        }
        if sweep { _ = try await execute("claim (expired leases)", """
            UPDATE jobs SET state = CASE WHEN cancel_requested THEN 'cancelled' ELSE 'failed' END,
              last_error = CASE WHEN cancel_requested THEN last_error
                ELSE 'worker lost: lease expired at attempt ' || attempts || ' of ' || max_attempts
                  || COALESCE(' (last error: ' || last_error || ')', '') END,
              lease_owner = NULL, finished_at = \(t), updated_at = \(t)
            WHERE state = 'running' AND lease_expires_at < \(t) AND (attempts >= max_attempts OR cancel_requested)
            """)
            try await failWaitingWithFailedChild(at: t)
        }
        return try await jobs("claim", """
            WITH queued AS (
              SELECT id, priority FROM jobs WHERE state = 'queued' AND run_at <= \(t)
              ORDER BY priority DESC, id LIMIT 1 FOR UPDATE SKIP LOCKED),
            expired AS (
              SELECT id, priority FROM jobs
              WHERE state = 'running' AND lease_expires_at < \(t) AND attempts < max_attempts AND NOT cancel_requested
              ORDER BY priority DESC, id LIMIT 1 FOR UPDATE SKIP LOCKED),
            ready AS (
              SELECT id, priority FROM jobs
              WHERE state = 'waiting' AND NOT EXISTS (SELECT 1 FROM jobs c WHERE c.parent_id = jobs.id AND c.state <> 'succeeded')
              ORDER BY priority DESC, id LIMIT 1 FOR UPDATE SKIP LOCKED),
            pick AS (
              SELECT id FROM (SELECT * FROM queued UNION ALL SELECT * FROM expired UNION ALL SELECT * FROM ready) AS c
              ORDER BY priority DESC, id LIMIT 1)
            UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = \(owner),
              lease_expires_at = \(t + leaseSeconds), updated_at = \(t), progress = 0, step = NULL
            WHERE id = (SELECT id FROM pick)
            RETURNING \(unescaped: Self.columns)
            """).first
    }

    /// Waiting jobs with a child failed or cancelled for good: `failed` with that child's error;
    /// their live children cancelled (running ones flagged). Part of the rate-limited sweep.
    private func failWaitingWithFailedChild(at t: Double) async throws {
        let failed = try await jobs("claim (failed fan-outs)", """
            UPDATE jobs SET state = 'failed', last_error = \(unescaped: failedChildSQL(parent: "jobs.id")),
              finished_at = \(t), updated_at = \(t)
            WHERE state = 'waiting' AND EXISTS (SELECT 1 FROM jobs c WHERE c.parent_id = jobs.id AND c.state IN ('failed', 'cancelled'))
            RETURNING \(unescaped: Self.columns)
            """)
        for job in failed { try await cancelChildren(of: job.id, at: t) }
    }

    private func cancelChildren(of id: Int64, at t: Double) async throws {
        _ = try await execute("cancel of the children of job \(id)", """
            UPDATE jobs SET state = 'cancelled', finished_at = \(t), updated_at = \(t)
            WHERE parent_id = \(id) AND state IN ('queued', 'waiting') RETURNING id
            """)
        _ = try await execute("cancel of the children of job \(id)", """
            UPDATE jobs SET cancel_requested = TRUE, updated_at = \(t) WHERE parent_id = \(id) AND state = 'running' RETURNING id
            """)
    }

    public func wait(id: Int64, owner: String) async throws -> JobState? {
        let t = now()
        let p = childrenProgressSQL(parent: "jobs.id")
        guard let job = try await jobs("wait of job \(id) for its children", """
            UPDATE jobs SET state = CASE WHEN cancel_requested THEN 'cancelled' ELSE 'waiting' END,
              finished_at = CASE WHEN cancel_requested THEN \(t) ELSE NULL END, attempts = attempts - 1,
              lease_owner = NULL, lease_expires_at = NULL, progress = \(unescaped: p.progress), step = \(unescaped: p.step),
              updated_at = \(t)
            WHERE id = \(id) AND state = 'running' AND lease_owner = \(owner) RETURNING \(unescaped: Self.columns)
            """).first else { return nil }
        if job.state == .cancelled { try await cancelChildren(of: id, at: t) }
        return job.state
    }

    public func children(of id: Int64) async throws -> [Job] {
        try await jobs("reading the children of job \(id)", "SELECT \(unescaped: Self.columns) FROM jobs WHERE parent_id = \(id) ORDER BY id")
    }

    public func heartbeat(id: Int64, owner: String, leaseSeconds: Double, progress: Double, step: String?) async throws -> HeartbeatReply {
        let t = now()
        let (client, logger) = (self.client, self.logger)
        do {
          return try await withDeadline(Self.statementDeadline, "heartbeat of job \(id)") {
            var reply = HeartbeatReply.leaseLost
            for try await flag in try await client.query("""
                UPDATE jobs SET lease_expires_at = \(t + leaseSeconds), progress = \(progress), step = \(step), updated_at = \(t)
                WHERE id = \(id) AND state = 'running' AND lease_owner = \(owner) RETURNING cancel_requested
                """, logger: logger).decode(Bool.self) {
                reply = flag ? .cancelRequested : .keepGoing
            }
            return reply
          }
        } catch let e as QueueError { throw e } catch {
            throw QueueError.database(operation: "heartbeat of job \(id)", underlying: String(reflecting: error))
        }
    }

    public func complete(id: Int64, owner: String, result: String?) async throws -> Bool {
        let t = now()
        guard let done = try await jobs("completion of job \(id)", """
            UPDATE jobs SET state = 'succeeded', result = \(result), progress = 100, lease_owner = NULL, lease_expires_at = NULL,
              finished_at = \(t), updated_at = \(t) WHERE id = \(id) AND state = 'running' AND lease_owner = \(owner)
            RETURNING \(unescaped: Self.columns)
            """).first else { return false }
        // A fanned-out parent shows its children's progress while it waits.
        if let parent = done.parentID {
            let p = childrenProgressSQL(parent: "jobs.id")
            _ = try await execute("progress of job \(parent)", """
                UPDATE jobs SET progress = \(unescaped: p.progress), step = \(unescaped: p.step), updated_at = \(t)
                WHERE id = \(parent) AND state = 'waiting' RETURNING id
                """)
        }
        return true
    }

    public func fail(id: Int64, owner: String, error: String, retryable: Bool) async throws -> JobState? {
        let t = now()
        let (client, logger, policy) = (self.client, self.logger, self.policy)
        do {
          return try await withDeadline(Self.statementDeadline, "failure of job \(id)") {
            var state: JobState?
            for try await s in try await client.query("""
                UPDATE jobs SET
                  state = CASE WHEN \(!retryable) OR attempts >= max_attempts THEN 'failed' ELSE 'queued' END,
                  finished_at = CASE WHEN \(!retryable) OR attempts >= max_attempts THEN \(t) ELSE NULL END,
                  last_error = \(error),
                  run_at = \(t) + LEAST(\(policy.maxBackoff), \(policy.baseBackoff) * power(2, GREATEST(attempts - 1, 0))),
                  lease_owner = NULL, lease_expires_at = NULL, updated_at = \(t)
                WHERE id = \(id) AND state = 'running' AND lease_owner = \(owner) RETURNING state
                """, logger: logger).decode(String.self) {
                state = JobState(rawValue: s)
            }
            return state
          }
        } catch let e as QueueError { throw e } catch {
            throw QueueError.database(operation: "failure of job \(id)", underlying: String(reflecting: error))
        }
    }

    public func release(id: Int64, owner: String) async throws {
        _ = try await execute("release of job \(id)", """
            UPDATE jobs SET state = 'queued', attempts = attempts - 1, lease_owner = NULL, lease_expires_at = NULL,
              updated_at = \(now()) WHERE id = \(id) AND state = 'running' AND lease_owner = \(owner) RETURNING id
            """)
    }

    public func cancel(id: Int64) async throws -> Job {
        let t = now()
        _ = try await execute("cancel of job \(id)", """
            UPDATE jobs SET state = 'cancelled', finished_at = \(t), updated_at = \(t) WHERE id = \(id) AND state IN ('queued', 'waiting') RETURNING id
            """)
        _ = try await execute("cancel of job \(id)", """
            UPDATE jobs SET cancel_requested = TRUE, updated_at = \(t) WHERE id = \(id) AND state = 'running' RETURNING id
            """)
        try await cancelChildren(of: id, at: t)
        guard let job = try await job(id: id) else { throw QueueError.notFound(id: id) }
        return job
    }

    public func markCancelled(id: Int64, owner: String) async throws {
        let t = now()
        _ = try await execute("cancellation of job \(id)", """
            UPDATE jobs SET state = 'cancelled', lease_owner = NULL, lease_expires_at = NULL, finished_at = \(t), updated_at = \(t)
            WHERE id = \(id) AND state = 'running' AND lease_owner = \(owner) RETURNING id
            """)
    }

    public func job(id: Int64) async throws -> Job? {
        try await jobs("reading job \(id)", "SELECT \(unescaped: Self.columns) FROM jobs WHERE id = \(id)").first
    }

    public func list(state: JobState?, limit: Int) async throws -> [Job] {
        if let state {
            return try await jobs("listing jobs", "SELECT \(unescaped: Self.columns) FROM jobs WHERE state = \(state.rawValue) ORDER BY id DESC LIMIT \(limit)")
        }
        return try await jobs("listing jobs", "SELECT \(unescaped: Self.columns) FROM jobs ORDER BY id DESC LIMIT \(limit)")
    }

    public func counts() async throws -> [JobState: Int] {
        let (client, logger) = (self.client, self.logger)
        do {
            return try await withDeadline(Self.statementDeadline, "counting jobs") {
                var out: [JobState: Int] = [:]
                for try await (s, n) in try await client.query("SELECT state, COUNT(*) FROM jobs GROUP BY state", logger: logger).decode((String, Int).self) {
                    if let state = JobState(rawValue: s) { out[state] = n }
                }
                return out
            }
        } catch let e as QueueError { throw e } catch {
            throw QueueError.database(operation: "counting jobs", underlying: String(reflecting: error))
        }
    }

    public func shutdown() async {
        runTask.cancel()
        _ = await runTask.value
    }
}

extension Job {
    init(postgres row: PostgresRow) throws {
        let r = row.makeRandomAccess()
        func v<T: PostgresDecodable>(_ name: String, _ type: T.Type) throws -> T { try r[name].decode(T.self) }
        id = try v("id", Int64.self)
        kind = try v("kind", String.self)
        payload = try v("payload", String.self)
        state = JobState(rawValue: try v("state", String.self)) ?? .failed
        priority = try v("priority", Int.self)
        attempts = try v("attempts", Int.self)
        maxAttempts = try v("max_attempts", Int.self)
        runAt = try v("run_at", Double.self)
        leaseOwner = try v("lease_owner", String?.self)
        leaseExpiresAt = try v("lease_expires_at", Double?.self)
        cancelRequested = try v("cancel_requested", Bool.self)
        progress = try v("progress", Double.self)
        step = try v("step", String?.self)
        lastError = try v("last_error", String?.self)
        result = try v("result", String?.self)
        idempotencyKey = try v("idempotency_key", String?.self)
        parentID = try v("parent_id", Int64?.self)
        createdAt = try v("created_at", Double.self)
        updatedAt = try v("updated_at", Double.self)
        finishedAt = try v("finished_at", Double?.self)
    }
}
