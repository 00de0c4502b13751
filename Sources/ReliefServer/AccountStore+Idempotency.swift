import Foundation
import GRDB

/// `Idempotency-Key` records: per user, a key names the job its first submission made and the
/// SHA-256 of that submission's body, so that a retried POST returns the same job and a key
/// reused with another body is refused.
extension AccountStore {
    public struct IdempotentSubmission: Sendable, Equatable {
        public var jobID: Int64
        public var bodySHA256: String
    }

    public func submission(user: String, key: String) async throws -> IdempotentSubmission? {
        do {
            return try await pool.read { db in
                try Row.fetchOne(db, sql: "SELECT job_id, body_sha256 FROM relief_idempotency WHERE user = ? AND key = ?", arguments: [user, key])
                    .map { IdempotentSubmission(jobID: $0["job_id"], bodySHA256: $0["body_sha256"]) }
            }
        } catch { throw AccountError.database(operation: "read idempotency key of \(user)", underlying: "\(error)") }
    }

    /// Records a job and its ownership with its key in one transaction (a crash leaves both or neither).
    public func record(_ o: JobOwnership, key: String?, bodySHA256: String) async throws {
        let now = Date().timeIntervalSince1970
        do {
            try await pool.write { db in
                try db.execute(sql: """
                    INSERT OR IGNORE INTO relief_job_owners (job_id, user, entity, process, area_km2, footprint, charge, created)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [o.jobID, o.user, o.entity, o.process, o.areaKm2, o.footprint, o.charge.rawValue, now])
                if let key {
                    // Replaces the record of a key whose job was dismissed since (the server
                    // looks the key up first, under the entity's submission lock).
                    try db.execute(sql: "INSERT OR REPLACE INTO relief_idempotency (user, key, body_sha256, job_id, created) VALUES (?, ?, ?, ?, ?)",
                                   arguments: [o.user, key, bodySHA256, o.jobID, now])
                }
            }
        } catch { throw AccountError.database(operation: "record owner of job \(o.jobID)", underlying: "\(error)") }
    }
}

/// Dismissed finished jobs: hidden from their owners (a 404, out of the list); their charge
/// stays as it was settled (a succeeded job's area stays used: its work was done).
extension AccountStore {
    public func dismiss(jobID: Int64) async throws {
        do {
            try await pool.write { db in
                try db.execute(sql: "INSERT OR IGNORE INTO relief_dismissed (job_id, at) VALUES (?, ?)", arguments: [jobID, Date().timeIntervalSince1970])
            }
        } catch { throw AccountError.database(operation: "dismiss job \(jobID)", underlying: "\(error)") }
    }
}
