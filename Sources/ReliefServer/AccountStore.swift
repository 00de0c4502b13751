import Foundation
import GRDB

/// Errors of the account database, with what was asked.
public enum AccountError: Error, CustomStringConvertible, Sendable {
    case invalidName(String)
    case noSuchEntity(String)
    case noSuchUser(String)
    case alreadyExists(String)
    case invalidQuota(Double)
    case database(operation: String, underlying: String)

    public var description: String {
        switch self {
        case .invalidName(let s): "invalid name '\(s)': use letters, digits, '.', '_' and '-' (at most 64)"
        case .noSuchEntity(let s): "no entity '\(s)' (add it with `pipeline-worker entities add`)"
        case .noSuchUser(let s): "no user '\(s)'"
        case .alreadyExists(let s): "\(s) already exists"
        case .invalidQuota(let q): "quota must be a finite number of km² >= 0, got \(q)"
        case .database(let op, let e): "account database error during \(op): \(e)"
        }
    }
}

/// One row of `relief_job_owners`: who submitted a job and what it costs.
public struct JobOwnership: Sendable, Equatable {
    public enum Charge: String, Sendable { case reserved, charged, released }
    public var jobID: Int64
    public var user: String
    public var entity: String
    public var process: String
    public var areaKm2: Double
    /// GeoJSON coordinates of the ROI footprint ([[[lon, lat], ...]]), for the STAC Item.
    public var footprint: String
    public var charge: Charge
}

/// Accounts, entities with their quotas, and the job -> owner mapping, in tables of their own
/// (`relief_entities`, `relief_users`, `relief_job_owners`) beside the queue's, in the queue's
/// SQLite file (`queue.sqlite` in the data folder) or any other SQLite file.
public final class AccountStore: Sendable {
    let pool: DatabasePool
    public let path: String

    /// Opens (and creates the tables of) the store in `folder/queue.sqlite`.
    public convenience init(folder: String) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try self.init(path: (folder as NSString).appendingPathComponent("queue.sqlite"))
    }

    public init(path: String) throws {
        self.path = path
        var config = Configuration()
        config.busyMode = .timeout(30)
        do {
            pool = try DatabasePool(path: path, configuration: config)
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
            throw AccountError.database(operation: "open \(path)", underlying: "\(error)")
        }
    }

    func wrap<T>(_ operation: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as AccountError { throw e } catch {
            throw AccountError.database(operation: operation, underlying: "\(error)")
        }
    }

    // MARK: Entities

    public func addEntity(_ name: String, quotaKm2: Double) throws {
        guard isValidName(name) else { throw AccountError.invalidName(name) }
        guard quotaKm2.isFinite, quotaKm2 >= 0 else { throw AccountError.invalidQuota(quotaKm2) }
        try wrap("add entity \(name)") {
            try pool.write { db in
                if try Int.fetchOne(db, sql: "SELECT 1 FROM relief_entities WHERE name = ?", arguments: [name]) != nil {
                    throw AccountError.alreadyExists("entity '\(name)'")
                }
                try db.execute(sql: "INSERT INTO relief_entities (name, quota_km2, created) VALUES (?, ?, ?)",
                               arguments: [name, quotaKm2, Date().timeIntervalSince1970])
            }
        }
    }

    public func setQuota(entity: String, km2: Double) throws {
        guard km2.isFinite, km2 >= 0 else { throw AccountError.invalidQuota(km2) }
        try wrap("set quota of \(entity)") {
            try pool.write { db in
                try db.execute(sql: "UPDATE relief_entities SET quota_km2 = ? WHERE name = ?", arguments: [km2, entity])
                if db.changesCount == 0 { throw AccountError.noSuchEntity(entity) }
            }
        }
    }

    /// (name, quota, used) of every entity.
    public func entities() throws -> [(name: String, quotaKm2: Double, usedKm2: Double)] {
        try wrap("list entities") {
            try pool.read { db in
                try Row.fetchAll(db, sql: "SELECT name, quota_km2, used_km2 FROM relief_entities ORDER BY name").map {
                    (name: $0["name"], quotaKm2: $0["quota_km2"], usedKm2: $0["used_km2"])
                }
            }
        }
    }

    // MARK: Users

    /// Adds a user and returns their token (shown once; only its hash is stored).
    public func addUser(_ name: String, entity: String, role: Account.Role) throws -> String {
        guard isValidName(name) else { throw AccountError.invalidName(name) }
        let token = Token.generate()
        try wrap("add user \(name)") {
            try pool.write { db in
                guard try Int.fetchOne(db, sql: "SELECT 1 FROM relief_entities WHERE name = ?", arguments: [entity]) != nil else {
                    throw AccountError.noSuchEntity(entity)
                }
                if try Int.fetchOne(db, sql: "SELECT 1 FROM relief_users WHERE name = ?", arguments: [name]) != nil {
                    throw AccountError.alreadyExists("user '\(name)'")
                }
                try db.execute(sql: "INSERT INTO relief_users (name, entity, role, token_sha256, created) VALUES (?, ?, ?, ?, ?)",
                               arguments: [name, entity, role.rawValue, Token.hash(token), Date().timeIntervalSince1970])
            }
        }
        return token
    }

    /// Revokes a user's token: their requests get 401 from then on (jobs stay visible to referents).
    public func revoke(user: String) throws {
        try wrap("revoke \(user)") {
            try pool.write { db in
                try db.execute(sql: "UPDATE relief_users SET revoked = 1 WHERE name = ?", arguments: [user])
                if db.changesCount == 0 { throw AccountError.noSuchUser(user) }
            }
        }
    }

    public func users() throws -> [(account: Account, revoked: Bool)] {
        try wrap("list users") {
            try pool.read { db in
                try Row.fetchAll(db, sql: "SELECT name, entity, role, revoked FROM relief_users ORDER BY entity, name").map {
                    (Account(user: $0["name"], entity: $0["entity"], role: Account.Role(rawValue: $0["role"]) ?? .user), ($0["revoked"] as Int) != 0)
                }
            }
        }
    }

    /// The live account of a token, nil when unknown or revoked.
    public func account(token: String) async throws -> Account? {
        let hash = Token.hash(token)
        do {
            return try await pool.read { db in
                guard let row = try Row.fetchOne(db, sql: "SELECT name, entity, role FROM relief_users WHERE token_sha256 = ? AND revoked = 0",
                                                 arguments: [hash]) else { return nil }
                return Account(user: row["name"], entity: row["entity"], role: Account.Role(rawValue: row["role"]) ?? .user)
            }
        } catch { throw AccountError.database(operation: "look up token", underlying: "\(error)") }
    }

    // MARK: Jobs and quota

    public func quota(entity: String) async throws -> (quotaKm2: Double, usedKm2: Double, reserved: [JobOwnership]) {
        do {
            return try await pool.read { db in
                guard let row = try Row.fetchOne(db, sql: "SELECT quota_km2, used_km2 FROM relief_entities WHERE name = ?", arguments: [entity]) else {
                    throw AccountError.noSuchEntity(entity)
                }
                let reserved = try Row.fetchAll(db, sql: "SELECT * FROM relief_job_owners WHERE entity = ? AND charge = 'reserved'",
                                                arguments: [entity]).map(Self.ownership)
                return (row["quota_km2"], row["used_km2"], reserved)
            }
        } catch let e as AccountError { throw e } catch { throw AccountError.database(operation: "read quota of \(entity)", underlying: "\(error)") }
    }

    /// Quota, use, and the sum and count of reservations, in one query (no job is settled).
    public func quotaTotals(entity: String) async throws -> (quotaKm2: Double, usedKm2: Double, reservedKm2: Double, reservedJobs: Int) {
        do {
            return try await pool.read { db in
                guard let row = try Row.fetchOne(db, sql: """
                    SELECT quota_km2, used_km2,
                           (SELECT COALESCE(SUM(area_km2), 0) FROM relief_job_owners WHERE entity = e.name AND charge = 'reserved') AS reserved,
                           (SELECT COUNT(*) FROM relief_job_owners WHERE entity = e.name AND charge = 'reserved') AS n
                    FROM relief_entities e WHERE name = ?
                    """, arguments: [entity]) else { throw AccountError.noSuchEntity(entity) }
                return (row["quota_km2"], row["used_km2"], row["reserved"], row["n"])
            }
        } catch let e as AccountError { throw e } catch { throw AccountError.database(operation: "read quota of \(entity)", underlying: "\(error)") }
    }

    public func record(_ o: JobOwnership) async throws {
        do {
            try await pool.write { db in
                try db.execute(sql: """
                    INSERT OR IGNORE INTO relief_job_owners (job_id, user, entity, process, area_km2, footprint, charge, created)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [o.jobID, o.user, o.entity, o.process, o.areaKm2, o.footprint, o.charge.rawValue, Date().timeIntervalSince1970])
            }
        } catch { throw AccountError.database(operation: "record owner of job \(o.jobID)", underlying: "\(error)") }
    }

    /// Settles a reserved job: `charged` adds its area to the entity's use (once), `released` frees it.
    public func settle(jobID: Int64, as charge: JobOwnership.Charge) async throws {
        do {
            try await pool.write { db in
                guard let row = try Row.fetchOne(db, sql: "SELECT entity, area_km2 FROM relief_job_owners WHERE job_id = ? AND charge = 'reserved'",
                                                 arguments: [jobID]) else { return }
                try db.execute(sql: "UPDATE relief_job_owners SET charge = ? WHERE job_id = ?", arguments: [charge.rawValue, jobID])
                if charge == .charged {
                    try db.execute(sql: "UPDATE relief_entities SET used_km2 = used_km2 + ? WHERE name = ?",
                                   arguments: [row["area_km2"] as Double, row["entity"] as String])
                }
            }
        } catch { throw AccountError.database(operation: "settle job \(jobID)", underlying: "\(error)") }
    }

    public func owner(jobID: Int64) async throws -> JobOwnership? {
        do {
            return try await pool.read { db in
                try Row.fetchOne(db, sql: "SELECT * FROM relief_job_owners WHERE job_id = ? AND job_id NOT IN (SELECT job_id FROM relief_dismissed)",
                                 arguments: [jobID]).map(Self.ownership)
            }
        } catch { throw AccountError.database(operation: "read owner of job \(jobID)", underlying: "\(error)") }
    }

    /// The jobs an account sees, newest first: its own, or its entity's for a referent.
    public func jobs(visibleTo account: Account, limit: Int, offset: Int) async throws -> [JobOwnership] {
        do {
            return try await pool.read { db in
                let rows = account.role == .referent
                    ? try Row.fetchAll(db, sql: "SELECT * FROM relief_job_owners WHERE entity = ? AND job_id NOT IN (SELECT job_id FROM relief_dismissed) ORDER BY job_id DESC LIMIT ? OFFSET ?",
                                       arguments: [account.entity, limit, offset])
                    : try Row.fetchAll(db, sql: "SELECT * FROM relief_job_owners WHERE user = ? AND job_id NOT IN (SELECT job_id FROM relief_dismissed) ORDER BY job_id DESC LIMIT ? OFFSET ?",
                                       arguments: [account.user, limit, offset])
                return rows.map(Self.ownership)
            }
        } catch { throw AccountError.database(operation: "list jobs of \(account.user)", underlying: "\(error)") }
    }

    static func ownership(_ row: Row) -> JobOwnership {
        JobOwnership(jobID: row["job_id"], user: row["user"], entity: row["entity"], process: row["process"],
                     areaKm2: row["area_km2"], footprint: row["footprint"],
                     charge: JobOwnership.Charge(rawValue: row["charge"]) ?? .reserved)
    }
}
