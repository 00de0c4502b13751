import Foundation
import GRDB
import ReliefQueue

/// The account store in a SQLite queue's `queue.sqlite`, on the queue's own `DatabasePool`, so
/// that a submission's job and reservation share one write transaction.
public final class SQLiteAccountStore: AccountStore {
    let pool: DatabasePool

    /// Opens (and creates the tables of) the store beside `queue`'s tables.
    public init(queue: SQLiteJobQueue) throws {
        pool = queue.pool
        do {
            try pool.write { db in
                try db.execute(sql: """
                    CREATE TABLE IF NOT EXISTS relief_entities (
                        name TEXT PRIMARY KEY, quota_km2 REAL NOT NULL, used_km2 REAL NOT NULL DEFAULT 0, created REAL NOT NULL);
                    CREATE TABLE IF NOT EXISTS relief_users (
                        name TEXT PRIMARY KEY, entity TEXT NOT NULL REFERENCES relief_entities(name), role TEXT NOT NULL,
                        token_sha256 TEXT NOT NULL UNIQUE, revoked INTEGER NOT NULL DEFAULT 0, created REAL NOT NULL);
                    CREATE TABLE IF NOT EXISTS relief_job_owners (
                        job_id INTEGER PRIMARY KEY, user TEXT NOT NULL, entity TEXT NOT NULL, process TEXT NOT NULL,
                        area_km2 REAL NOT NULL, footprint TEXT NOT NULL, charge TEXT NOT NULL, created REAL NOT NULL);
                    CREATE INDEX IF NOT EXISTS relief_job_owners_entity ON relief_job_owners(entity, charge);
                    CREATE TABLE IF NOT EXISTS relief_idempotency (
                        user TEXT NOT NULL, key TEXT NOT NULL, body_sha256 TEXT NOT NULL, job_id INTEGER NOT NULL, created REAL NOT NULL,
                        PRIMARY KEY (user, key));
                    CREATE TABLE IF NOT EXISTS relief_dismissed (job_id INTEGER PRIMARY KEY, at REAL NOT NULL);
                    """)
            }
        } catch {
            throw AccountError.database(operation: "open the accounts in \(queue.path)", underlying: "\(error)")
        }
    }

    private func write<T: Sendable>(_ operation: String, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do { return try await pool.write(body) } catch let e as AccountError { throw e } catch {
            throw AccountError.database(operation: operation, underlying: "\(error)")
        }
    }

    private func read<T: Sendable>(_ operation: String, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do { return try await pool.read(body) } catch let e as AccountError { throw e } catch {
            throw AccountError.database(operation: operation, underlying: "\(error)")
        }
    }

    // MARK: Entities and users

    public func addEntity(_ name: String, quotaKm2: Double) async throws {
        try Self.checkEntity(name, quotaKm2: quotaKm2)
        try await write("add entity \(name)") { db in
            if try Int.fetchOne(db, sql: "SELECT 1 FROM relief_entities WHERE name = ?", arguments: [name]) != nil {
                throw AccountError.alreadyExists("entity '\(name)'")
            }
            try db.execute(sql: "INSERT INTO relief_entities (name, quota_km2, created) VALUES (?, ?, ?)",
                           arguments: [name, quotaKm2, Date().timeIntervalSince1970])
        }
    }

    public func setQuota(entity: String, km2: Double) async throws {
        guard km2.isFinite, km2 >= 0 else { throw AccountError.invalidQuota(km2) }
        try await write("set quota of \(entity)") { db in
            try db.execute(sql: "UPDATE relief_entities SET quota_km2 = ? WHERE name = ?", arguments: [km2, entity])
            if db.changesCount == 0 { throw AccountError.noSuchEntity(entity) }
        }
    }

    public func entities() async throws -> [(name: String, quotaKm2: Double, usedKm2: Double)] {
        try await read("list entities") { db in
            try Row.fetchAll(db, sql: "SELECT name, quota_km2, used_km2 FROM relief_entities ORDER BY name").map {
                (name: $0["name"], quotaKm2: $0["quota_km2"], usedKm2: $0["used_km2"])
            }
        }
    }

    public func addUser(_ name: String, entity: String, role: Account.Role) async throws -> String {
        guard isValidName(name) else { throw AccountError.invalidName(name) }
        let token = Token.generate(), hash = Token.hash(token)
        try await write("add user \(name)") { db in
            guard try Int.fetchOne(db, sql: "SELECT 1 FROM relief_entities WHERE name = ?", arguments: [entity]) != nil else {
                throw AccountError.noSuchEntity(entity)
            }
            if try Int.fetchOne(db, sql: "SELECT 1 FROM relief_users WHERE name = ?", arguments: [name]) != nil {
                throw AccountError.alreadyExists("user '\(name)'")
            }
            try db.execute(sql: "INSERT INTO relief_users (name, entity, role, token_sha256, created) VALUES (?, ?, ?, ?, ?)",
                           arguments: [name, entity, role.rawValue, hash, Date().timeIntervalSince1970])
        }
        return token
    }

    public func revoke(user: String) async throws {
        try await write("revoke \(user)") { db in
            try db.execute(sql: "UPDATE relief_users SET revoked = 1 WHERE name = ?", arguments: [user])
            if db.changesCount == 0 { throw AccountError.noSuchUser(user) }
        }
    }

    public func users() async throws -> [(account: Account, revoked: Bool)] {
        try await read("list users") { db in
            try Row.fetchAll(db, sql: "SELECT name, entity, role, revoked FROM relief_users ORDER BY entity, name").map {
                (account: Account(user: $0["name"], entity: $0["entity"], role: Account.Role(rawValue: $0["role"]) ?? .user),
                 revoked: ($0["revoked"] as Int) != 0)
            }
        }
    }

    public func account(token: String) async throws -> Account? {
        let hash = Token.hash(token)
        return try await read("look up token") { db in
            try Row.fetchOne(db, sql: "SELECT name, entity, role FROM relief_users WHERE token_sha256 = ? AND revoked = 0", arguments: [hash])
                .map { Account(user: $0["name"], entity: $0["entity"], role: Account.Role(rawValue: $0["role"]) ?? .user) }
        }
    }

    // MARK: Quotas and submissions

    public func quota(entity: String) async throws -> (quotaKm2: Double, usedKm2: Double, reserved: [JobOwnership]) {
        try await read("read quota of \(entity)") { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT quota_km2, used_km2 FROM relief_entities WHERE name = ?", arguments: [entity]) else {
                throw AccountError.noSuchEntity(entity)
            }
            let reserved = try Row.fetchAll(db, sql: "SELECT * FROM relief_job_owners WHERE entity = ? AND charge = 'reserved'",
                                            arguments: [entity]).map(Self.ownership)
            return (row["quota_km2"], row["used_km2"], reserved)
        }
    }

    public func quotaTotals(entity: String) async throws -> QuotaTotals {
        try await read("read quota of \(entity)") { db in try Self.totals(db, entity: entity) }
    }

    static func totals(_ db: Database, entity: String) throws -> QuotaTotals {
        guard let row = try Row.fetchOne(db, sql: """
            SELECT quota_km2, used_km2,
                   (SELECT COALESCE(SUM(area_km2), 0) FROM relief_job_owners WHERE entity = e.name AND charge = 'reserved') AS reserved,
                   (SELECT COUNT(*) FROM relief_job_owners WHERE entity = e.name AND charge = 'reserved') AS n
            FROM relief_entities e WHERE name = ?
            """, arguments: [entity]) else { throw AccountError.noSuchEntity(entity) }
        return QuotaTotals(quotaKm2: row["quota_km2"], usedKm2: row["used_km2"], reservedKm2: row["reserved"], reservedJobs: row["n"])
    }

    public func submit(_ job: NewJob, owner: JobOwnership, key: String?, bodySHA256: String) async throws -> ChargedSubmission {
        try await write("submit a job of \(owner.user)") { db in
            // A write transaction of the queue's pool: SQLite holds its write lock from here to
            // the commit, so no other submission (of any process) sees the totals meanwhile.
            if let key, let first = try Row.fetchOne(db, sql: """
                SELECT job_id, body_sha256 FROM relief_idempotency
                WHERE user = ? AND key = ? AND job_id NOT IN (SELECT job_id FROM relief_dismissed)
                """, arguments: [owner.user, key]) {
                return .replayed(IdempotentSubmission(jobID: first["job_id"], bodySHA256: first["body_sha256"]))
            }
            let totals = try Self.totals(db, entity: owner.entity)
            guard owner.areaKm2 <= totals.remainingKm2 else { return .overQuota(totals) }
            let (queued, _) = try SQLiteJobQueue.submit(job, in: db)
            var o = owner
            o.jobID = queued.id
            o.charge = .reserved
            let now = Date().timeIntervalSince1970
            try db.execute(sql: """
                INSERT INTO relief_job_owners (job_id, user, entity, process, area_km2, footprint, charge, created)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [o.jobID, o.user, o.entity, o.process, o.areaKm2, o.footprint, o.charge.rawValue, now])
            if let key {
                // Replaces the record of a key whose job was dismissed since.
                try db.execute(sql: "INSERT OR REPLACE INTO relief_idempotency (user, key, body_sha256, job_id, created) VALUES (?, ?, ?, ?, ?)",
                               arguments: [o.user, key, bodySHA256, o.jobID, now])
            }
            return .created(queued, o)
        }
    }

    public func settle(jobID: Int64, as charge: JobOwnership.Charge) async throws {
        try await write("settle job \(jobID)") { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT entity, area_km2 FROM relief_job_owners WHERE job_id = ? AND charge = 'reserved'",
                                             arguments: [jobID]) else { return }
            try db.execute(sql: "UPDATE relief_job_owners SET charge = ? WHERE job_id = ?", arguments: [charge.rawValue, jobID])
            if charge == .charged {
                try db.execute(sql: "UPDATE relief_entities SET used_km2 = used_km2 + ? WHERE name = ?",
                               arguments: [row["area_km2"] as Double, row["entity"] as String])
            }
        }
    }

    public func owner(jobID: Int64) async throws -> JobOwnership? {
        try await read("read owner of job \(jobID)") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM relief_job_owners WHERE job_id = ? AND job_id NOT IN (SELECT job_id FROM relief_dismissed)",
                             arguments: [jobID]).map(Self.ownership)
        }
    }

    public func jobs(visibleTo account: Account, limit: Int, offset: Int) async throws -> [JobOwnership] {
        try await read("list jobs of \(account.user)") { db in
            let (column, value) = account.role == .referent ? ("entity", account.entity) : ("user", account.user)
            return try Row.fetchAll(db, sql: """
                SELECT * FROM relief_job_owners WHERE \(column) = ? AND job_id NOT IN (SELECT job_id FROM relief_dismissed)
                ORDER BY job_id DESC LIMIT ? OFFSET ?
                """, arguments: [value, limit, offset]).map(Self.ownership)
        }
    }

    public func submission(user: String, key: String) async throws -> IdempotentSubmission? {
        try await read("read idempotency key of \(user)") { db in
            try Row.fetchOne(db, sql: "SELECT job_id, body_sha256 FROM relief_idempotency WHERE user = ? AND key = ?", arguments: [user, key])
                .map { IdempotentSubmission(jobID: $0["job_id"], bodySHA256: $0["body_sha256"]) }
        }
    }

    public func dismiss(jobID: Int64) async throws {
        try await write("dismiss job \(jobID)") { db in
            try db.execute(sql: "INSERT OR IGNORE INTO relief_dismissed (job_id, at) VALUES (?, ?)", arguments: [jobID, Date().timeIntervalSince1970])
        }
    }

    static func ownership(_ row: Row) -> JobOwnership {
        JobOwnership(jobID: row["job_id"], user: row["user"], entity: row["entity"], process: row["process"],
                     areaKm2: row["area_km2"], footprint: row["footprint"],
                     charge: JobOwnership.Charge(rawValue: row["charge"]) ?? .reserved)
    }
}
