import Foundation
import PostgresNIO
import ReliefQueue

/// The account store in a PostgreSQL queue's database, on the queue's connection pool: a
/// submission's job and reservation share one transaction, and the entity's row is locked
/// (`FOR UPDATE`) while its quota is checked, so servers on several machines never admit more
/// than the quota between them.
public final class PostgresAccountStore: AccountStore {
    let queue: PostgresJobQueue

    /// Opens (and creates the tables of) the store beside `queue`'s tables.
    public init(queue: PostgresJobQueue) async throws {
        self.queue = queue
        try await run("create the account tables") { c, logger in
            // Servers starting together create the tables once.
            try await c.query("SELECT pg_advisory_xact_lock(70070002)", logger: logger)
            for statement in [
                """
                CREATE TABLE IF NOT EXISTS relief_entities (
                  name TEXT PRIMARY KEY, quota_km2 DOUBLE PRECISION NOT NULL, used_km2 DOUBLE PRECISION NOT NULL DEFAULT 0,
                  created DOUBLE PRECISION NOT NULL)
                """,
                """
                CREATE TABLE IF NOT EXISTS relief_users (
                  name TEXT PRIMARY KEY, entity TEXT NOT NULL REFERENCES relief_entities(name), role TEXT NOT NULL,
                  token_sha256 TEXT NOT NULL UNIQUE, revoked BOOLEAN NOT NULL DEFAULT FALSE, created DOUBLE PRECISION NOT NULL)
                """,
                """
                CREATE TABLE IF NOT EXISTS relief_job_owners (
                  job_id BIGINT PRIMARY KEY REFERENCES jobs(id), "user" TEXT NOT NULL, entity TEXT NOT NULL, process TEXT NOT NULL,
                  area_km2 DOUBLE PRECISION NOT NULL, footprint TEXT NOT NULL, charge TEXT NOT NULL, created DOUBLE PRECISION NOT NULL)
                """,
                "CREATE INDEX IF NOT EXISTS relief_job_owners_entity ON relief_job_owners (entity, charge)",
                "CREATE INDEX IF NOT EXISTS relief_job_owners_user ON relief_job_owners (\"user\")",
                """
                CREATE TABLE IF NOT EXISTS relief_idempotency (
                  "user" TEXT NOT NULL, key TEXT NOT NULL, body_sha256 TEXT NOT NULL, job_id BIGINT NOT NULL,
                  created DOUBLE PRECISION NOT NULL, PRIMARY KEY ("user", key))
                """,
                "CREATE TABLE IF NOT EXISTS relief_dismissed (job_id BIGINT PRIMARY KEY, at DOUBLE PRECISION NOT NULL)",
            ] {
                try await c.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
        }
    }

    /// One transaction on the queue's pool; database errors as `AccountError.database`.
    private func run<T: Sendable>(_ operation: String, _ body: @escaping @Sendable (PostgresConnection, Logger) async throws -> T) async throws -> T {
        do { return try await queue.transaction(operation, body) } catch let e as AccountError { throw e } catch QueueError.database(_, let underlying) {
            throw AccountError.database(operation: operation, underlying: underlying)
        } catch {
            throw AccountError.database(operation: operation, underlying: String(reflecting: error))
        }
    }

    /// All rows of `query`, each mapped by `map` (read to the end: the connection stays usable).
    private static func rows<T>(_ c: PostgresConnection, _ logger: Logger, _ query: PostgresQuery,
                                _ map: (PostgresRow) throws -> T) async throws -> [T] {
        var out: [T] = []
        for try await row in try await c.query(query, logger: logger) { out.append(try map(row)) }
        return out
    }

    // MARK: Entities and users

    public func addEntity(_ name: String, quotaKm2: Double) async throws {
        try Self.checkEntity(name, quotaKm2: quotaKm2)
        let now = Date().timeIntervalSince1970
        let added = try await run("add entity \(name)") { c, logger in
            try await Self.rows(c, logger, """
                INSERT INTO relief_entities (name, quota_km2, created) VALUES (\(name), \(quotaKm2), \(now))
                ON CONFLICT (name) DO NOTHING RETURNING name
                """) { _ in 1 }.count
        }
        if added == 0 { throw AccountError.alreadyExists("entity '\(name)'") }
    }

    public func setQuota(entity: String, km2: Double) async throws {
        guard km2.isFinite, km2 >= 0 else { throw AccountError.invalidQuota(km2) }
        let changed = try await run("set quota of \(entity)") { c, logger in
            try await Self.rows(c, logger, "UPDATE relief_entities SET quota_km2 = \(km2) WHERE name = \(entity) RETURNING name") { _ in 1 }.count
        }
        if changed == 0 { throw AccountError.noSuchEntity(entity) }
    }

    public func entities() async throws -> [(name: String, quotaKm2: Double, usedKm2: Double)] {
        try await run("list entities") { c, logger in
            try await Self.rows(c, logger, "SELECT name, quota_km2, used_km2 FROM relief_entities ORDER BY name") {
                let (n, q, u) = try $0.decode((String, Double, Double).self)
                return (name: n, quotaKm2: q, usedKm2: u)
            }
        }
    }

    public func addUser(_ name: String, entity: String, role: Account.Role) async throws -> String {
        guard isValidName(name) else { throw AccountError.invalidName(name) }
        let token = Token.generate(), hash = Token.hash(token), now = Date().timeIntervalSince1970
        try await run("add user \(name)") { c, logger in
            guard try await !Self.rows(c, logger, "SELECT 1 FROM relief_entities WHERE name = \(entity)", { _ in 1 }).isEmpty else {
                throw AccountError.noSuchEntity(entity)
            }
            let added = try await Self.rows(c, logger, """
                INSERT INTO relief_users (name, entity, role, token_sha256, created) VALUES (\(name), \(entity), \(role.rawValue), \(hash), \(now))
                ON CONFLICT (name) DO NOTHING RETURNING name
                """) { _ in 1 }.count
            if added == 0 { throw AccountError.alreadyExists("user '\(name)'") }
        }
        return token
    }

    public func revoke(user: String) async throws {
        let changed = try await run("revoke \(user)") { c, logger in
            try await Self.rows(c, logger, "UPDATE relief_users SET revoked = TRUE WHERE name = \(user) RETURNING name") { _ in 1 }.count
        }
        if changed == 0 { throw AccountError.noSuchUser(user) }
    }

    public func users() async throws -> [(account: Account, revoked: Bool)] {
        try await run("list users") { c, logger in
            try await Self.rows(c, logger, "SELECT name, entity, role, revoked FROM relief_users ORDER BY entity, name") {
                let (n, e, r, revoked) = try $0.decode((String, String, String, Bool).self)
                return (account: Account(user: n, entity: e, role: Account.Role(rawValue: r) ?? .user), revoked: revoked)
            }
        }
    }

    public func account(token: String) async throws -> Account? {
        let hash = Token.hash(token)
        return try await run("look up token") { c, logger in
            try await Self.rows(c, logger, "SELECT name, entity, role FROM relief_users WHERE token_sha256 = \(hash) AND NOT revoked") {
                let (n, e, r) = try $0.decode((String, String, String).self)
                return Account(user: n, entity: e, role: Account.Role(rawValue: r) ?? .user)
            }.first
        }
    }

    // MARK: Quotas and submissions

    static let ownerColumns = #"job_id, "user", entity, process, area_km2, footprint, charge"#

    static func ownership(_ row: PostgresRow) throws -> JobOwnership {
        let (id, user, entity, process, area, footprint, charge) = try row.decode((Int64, String, String, String, Double, String, String).self)
        return JobOwnership(jobID: id, user: user, entity: entity, process: process, areaKm2: area, footprint: footprint,
                            charge: JobOwnership.Charge(rawValue: charge) ?? .reserved)
    }

    public func quota(entity: String) async throws -> (quotaKm2: Double, usedKm2: Double, reserved: [JobOwnership]) {
        try await run("read quota of \(entity)") { c, logger in
            guard let (quota, used) = try await Self.rows(c, logger, "SELECT quota_km2, used_km2 FROM relief_entities WHERE name = \(entity)", {
                try $0.decode((Double, Double).self)
            }).first else { throw AccountError.noSuchEntity(entity) }
            let reserved = try await Self.rows(c, logger, """
                SELECT \(unescaped: Self.ownerColumns) FROM relief_job_owners WHERE entity = \(entity) AND charge = 'reserved'
                """, Self.ownership)
            return (quota, used, reserved)
        }
    }

    public func quotaTotals(entity: String) async throws -> QuotaTotals {
        try await run("read quota of \(entity)") { c, logger in try await Self.totals(c, logger, entity: entity, lock: false) }
    }

    /// The entity's totals; with `lock`, its row stays locked until the transaction ends.
    static func totals(_ c: PostgresConnection, _ logger: Logger, entity: String, lock: Bool) async throws -> QuotaTotals {
        guard let (quota, used) = try await rows(c, logger, """
            SELECT quota_km2, used_km2 FROM relief_entities WHERE name = \(entity) \(unescaped: lock ? "FOR UPDATE" : "")
            """, { try $0.decode((Double, Double).self) }).first else { throw AccountError.noSuchEntity(entity) }
        let (reserved, n) = try await rows(c, logger, """
            SELECT COALESCE(SUM(area_km2), 0)::DOUBLE PRECISION, COUNT(*) FROM relief_job_owners WHERE entity = \(entity) AND charge = 'reserved'
            """, { try $0.decode((Double, Int).self) }).first ?? (0, 0)
        return QuotaTotals(quotaKm2: quota, usedKm2: used, reservedKm2: reserved, reservedJobs: n)
    }

    public func submit(_ job: NewJob, owner: JobOwnership, key: String?, bodySHA256: String) async throws -> ChargedSubmission {
        try await run("submit a job of \(owner.user)") { c, logger in
            // The entity's row first: submissions of one entity (and so of one user and key)
            // run one after the other, whichever server takes them.
            let totals = try await Self.totals(c, logger, entity: owner.entity, lock: true)
            if let key, let first = try await Self.rows(c, logger, """
                SELECT job_id, body_sha256 FROM relief_idempotency
                WHERE "user" = \(owner.user) AND key = \(key) AND job_id NOT IN (SELECT job_id FROM relief_dismissed)
                """, { try $0.decode((Int64, String).self) }).first {
                return .replayed(IdempotentSubmission(jobID: first.0, bodySHA256: first.1))
            }
            guard owner.areaKm2 <= totals.remainingKm2 else { return .overQuota(totals) }
            let (queued, _) = try await PostgresJobQueue.submit(job, on: c, logger: logger)
            var o = owner
            o.jobID = queued.id
            o.charge = .reserved
            let now = Date().timeIntervalSince1970
            try await c.query("""
                INSERT INTO relief_job_owners (job_id, "user", entity, process, area_km2, footprint, charge, created)
                VALUES (\(o.jobID), \(o.user), \(o.entity), \(o.process), \(o.areaKm2), \(o.footprint), \(o.charge.rawValue), \(now))
                """, logger: logger)
            if let key {
                // Replaces the record of a key whose job was dismissed since.
                try await c.query("""
                    INSERT INTO relief_idempotency ("user", key, body_sha256, job_id, created) VALUES (\(o.user), \(key), \(bodySHA256), \(o.jobID), \(now))
                    ON CONFLICT ("user", key) DO UPDATE SET body_sha256 = EXCLUDED.body_sha256, job_id = EXCLUDED.job_id, created = EXCLUDED.created
                    """, logger: logger)
            }
            return .created(queued, o)
        }
    }

    public func settle(jobID: Int64, as charge: JobOwnership.Charge) async throws {
        try await run("settle job \(jobID)") { c, logger in
            // Only the first settlement finds the row reserved.
            guard let (entity, area) = try await Self.rows(c, logger, """
                UPDATE relief_job_owners SET charge = \(charge.rawValue) WHERE job_id = \(jobID) AND charge = 'reserved' RETURNING entity, area_km2
                """, { try $0.decode((String, Double).self) }).first else { return }
            if charge == .charged {
                try await c.query("UPDATE relief_entities SET used_km2 = used_km2 + \(area) WHERE name = \(entity)", logger: logger)
            }
        }
    }

    public func owner(jobID: Int64) async throws -> JobOwnership? {
        try await run("read owner of job \(jobID)") { c, logger in
            try await Self.rows(c, logger, """
                SELECT \(unescaped: Self.ownerColumns) FROM relief_job_owners
                WHERE job_id = \(jobID) AND job_id NOT IN (SELECT job_id FROM relief_dismissed)
                """, Self.ownership).first
        }
    }

    public func jobs(visibleTo account: Account, limit: Int, offset: Int) async throws -> [JobOwnership] {
        let (column, value) = account.role == .referent ? ("entity", account.entity) : (#""user""#, account.user)
        return try await run("list jobs of \(account.user)") { c, logger in
            try await Self.rows(c, logger, """
                SELECT \(unescaped: Self.ownerColumns) FROM relief_job_owners
                WHERE \(unescaped: column) = \(value) AND job_id NOT IN (SELECT job_id FROM relief_dismissed)
                ORDER BY job_id DESC LIMIT \(limit) OFFSET \(offset)
                """, Self.ownership)
        }
    }

    public func submission(user: String, key: String) async throws -> IdempotentSubmission? {
        try await run("read idempotency key of \(user)") { c, logger in
            try await Self.rows(c, logger, #"SELECT job_id, body_sha256 FROM relief_idempotency WHERE "user" = \#(user) AND key = \#(key)"#) {
                let (id, sha) = try $0.decode((Int64, String).self)
                return IdempotentSubmission(jobID: id, bodySHA256: sha)
            }.first
        }
    }

    public func dismiss(jobID: Int64) async throws {
        let now = Date().timeIntervalSince1970
        try await run("dismiss job \(jobID)") { c, logger in
            try await c.query("INSERT INTO relief_dismissed (job_id, at) VALUES (\(jobID), \(now)) ON CONFLICT (job_id) DO NOTHING", logger: logger)
        }
    }
}
