import Foundation
import ReliefQueue

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

/// An entity's quota and what is used or reserved of it (km²).
public struct QuotaTotals: Sendable, Equatable {
    public var quotaKm2: Double
    public var usedKm2: Double
    /// Areas of jobs not settled yet (in flight, or finished since the last settlement).
    public var reservedKm2: Double
    public var reservedJobs: Int
    public var remainingKm2: Double { quotaKm2 - usedKm2 - reservedKm2 }
}

/// `Idempotency-Key` record: per user, a key names the job its first submission made and the
/// SHA-256 of that submission's body, so that a retried POST returns the same job and a key
/// reused with another body is refused.
public struct IdempotentSubmission: Sendable, Equatable {
    public var jobID: Int64
    public var bodySHA256: String
}

/// What a charged submission did.
public enum ChargedSubmission: Sendable {
    /// The job was queued and its area reserved, in one transaction.
    case created(Job, JobOwnership)
    /// The user's idempotency key names a live (not dismissed) job already: nothing written.
    case replayed(IdempotentSubmission)
    /// The area does not fit what is left: nothing written.
    case overQuota(QuotaTotals)
}

/// Accounts, entities with their quotas, job owners and their charges, idempotency keys and
/// dismissals, in tables of their own (`relief_entities`, `relief_users`, `relief_job_owners`,
/// `relief_idempotency`, `relief_dismissed`) in the queue's own database: `SQLiteAccountStore`
/// beside a SQLite queue, `PostgresAccountStore` beside a PostgreSQL one. A submission's job,
/// its reservation and its key are written in one transaction (`submit`): a crash leaves all
/// three or none.
public protocol AccountStore: Sendable {
    func addEntity(_ name: String, quotaKm2: Double) async throws
    func setQuota(entity: String, km2: Double) async throws
    /// (name, quota, used) of every entity, by name.
    func entities() async throws -> [(name: String, quotaKm2: Double, usedKm2: Double)]

    /// Adds a user and returns their token (shown once; only its hash is stored).
    func addUser(_ name: String, entity: String, role: Account.Role) async throws -> String
    /// Revokes a user's token: their requests get 401 from then on (jobs stay visible to referents).
    func revoke(user: String) async throws
    func users() async throws -> [(account: Account, revoked: Bool)]
    /// The live account of a token, nil when unknown or revoked.
    func account(token: String) async throws -> Account?

    /// Quota, use, and the reserved jobs of an entity.
    func quota(entity: String) async throws -> (quotaKm2: Double, usedKm2: Double, reserved: [JobOwnership])
    /// Quota, use, and the sum and count of reservations, in one query (no job is settled).
    func quotaTotals(entity: String) async throws -> QuotaTotals

    /// In one transaction: the user's live job for `key` if there is one (`replayed`); else the
    /// entity's totals locked and checked against `owner.areaKm2` (`overQuota`); else `job`
    /// queued, `owner` recorded with its id, reserved, and `key` recorded.
    func submit(_ job: NewJob, owner: JobOwnership, key: String?, bodySHA256: String) async throws -> ChargedSubmission

    /// Settles a reserved job: `charged` adds its area to the entity's use (once), `released` frees it.
    func settle(jobID: Int64, as charge: JobOwnership.Charge) async throws
    /// The owner of a job not dismissed.
    func owner(jobID: Int64) async throws -> JobOwnership?
    /// The jobs an account sees, newest first: its own, or its entity's for a referent; dismissed ones left out.
    func jobs(visibleTo account: Account, limit: Int, offset: Int) async throws -> [JobOwnership]

    /// The user's record of `key`, whether its job was dismissed or not.
    func submission(user: String, key: String) async throws -> IdempotentSubmission?
    /// Hides a finished job from its owners (a 404, out of the list); its charge stays as settled.
    func dismiss(jobID: Int64) async throws
}

/// The account store in the database of `queue` (SQLite or PostgreSQL).
public func openAccountStore(queue: any JobQueue) async throws -> any AccountStore {
    if let q = queue as? SQLiteJobQueue { return try SQLiteAccountStore(queue: q) }
    if let q = queue as? PostgresJobQueue { return try await PostgresAccountStore(queue: q) }
    throw AccountError.database(operation: "open accounts", underlying: "no account store for a queue of type \(type(of: queue))")
}

extension AccountStore {
    /// Checks a new entity's name and quota (both backends).
    static func checkEntity(_ name: String, quotaKm2: Double) throws {
        guard isValidName(name) else { throw AccountError.invalidName(name) }
        guard quotaKm2.isFinite, quotaKm2 >= 0 else { throw AccountError.invalidQuota(quotaKm2) }
    }
}
