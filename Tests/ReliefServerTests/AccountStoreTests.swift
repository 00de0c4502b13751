import Foundation
import GRDB
import ReliefQueue
@testable import ReliefServer
import Testing

/// The account store in the queue's own database, on SQLite and PostgreSQL: accounts, and a
/// submission's job, reservation and idempotency key written in one transaction that checks
/// the quota.
@Suite("Accounts in the queue's database") struct AccountStoreTests {
    /// Two "servers" (queue + store) on one database, and raw SQL on it.
    struct Stores: Sendable {
        let queues: [any JobQueue]
        let stores: [any AccountStore]
        let sql: @Sendable (String) async throws -> Void
    }

    /// Runs `body` on a fresh database of `backend`; false when the backend is not configured.
    @discardableResult
    static func withStores(_ backend: StoreBackend, _ body: (Stores) async throws -> Void) async throws -> Bool {
        guard backend.isAvailable else { return false }
        switch backend {
        case .sqlite:
            let folder = NSTemporaryDirectory() + "relief-accounts-" + UUID().uuidString
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let a = try SQLiteJobQueue(folder: folder), b = try SQLiteJobQueue(folder: folder)
            let sa = try SQLiteAccountStore(queue: a), sb = try SQLiteAccountStore(queue: b)
            let pool = sa.pool
            try await body(Stores(queues: [a, b], stores: [sa, sb], sql: { text in try await pool.write { try $0.execute(sql: text) } }))
            await a.shutdown()
            await b.shutdown()
        case .postgres:
            let db = try TestPostgresDatabase()
            defer { db.drop() }
            let a = try await PostgresJobQueue(url: db.url), b = try await PostgresJobQueue(url: db.url)
            let sa = try await PostgresAccountStore(queue: a), sb = try await PostgresAccountStore(queue: b)
            let url = db.url
            try await body(Stores(queues: [a, b], stores: [sa, sb], sql: { text in try TestPostgresDatabase.psql(url, text) }))
            await a.shutdown()
            await b.shutdown()
        }
        return true
    }

    static func owner(_ user: String = "ann", entity: String = "lab", km2: Double) -> JobOwnership {
        JobOwnership(jobID: 0, user: user, entity: entity, process: "dsm", areaKm2: km2, footprint: "[]", charge: .reserved)
    }

    static func job(_ n: Int = 0) -> NewJob { NewJob(kind: "probe", payload: #"{"n":\#(n)}"#, maxAttempts: 3) }

    static func jobCount(_ q: any JobQueue) async throws -> Int { try await q.counts().values.reduce(0, +) }

    @Test(arguments: StoreBackend.allCases) func accountsAndTheirErrors(_ backend: StoreBackend) async throws {
        try await Self.withStores(backend) { s in
            let store = s.stores[0]
            try await store.addEntity("lab", quotaKm2: 10)
            await #expect(throws: AccountError.self) { try await store.addEntity("lab", quotaKm2: 5) }
            await #expect(throws: AccountError.self) { try await store.addEntity("l/ab", quotaKm2: 5) }
            await #expect(throws: AccountError.self) { try await store.addEntity("nan", quotaKm2: .nan) }
            let token = try await store.addUser("ann", entity: "lab", role: .referent)
            #expect(token.count == 64)
            await #expect(throws: AccountError.self) { try await store.addUser("ann", entity: "lab", role: .user) }
            await #expect(throws: AccountError.self) { try await store.addUser("bo/b", entity: "lab", role: .user) }
            await #expect(throws: AccountError.self) { try await store.addUser("bob", entity: "nope", role: .user) }
            // The other server sees them: one database.
            #expect(try await s.stores[1].account(token: token) == Account(user: "ann", entity: "lab", role: .referent))
            try await store.setQuota(entity: "lab", km2: 12)
            await #expect(throws: AccountError.self) { try await store.setQuota(entity: "nope", km2: 1) }
            #expect(try await store.entities().map(\.quotaKm2) == [12])
            try await store.revoke(user: "ann")
            await #expect(throws: AccountError.self) { try await store.revoke(user: "nobody") }
            #expect(try await s.stores[1].account(token: token) == nil)
            #expect(try await store.users().map(\.revoked) == [true])
        }
    }

    @Test(arguments: StoreBackend.allCases) func aSubmissionReservesItsAreaWithItsJob(_ backend: StoreBackend) async throws {
        try await Self.withStores(backend) { s in
            let (queue, store) = (s.queues[0], s.stores[0])
            try await store.addEntity("lab", quotaKm2: 1)
            guard case .created(let job, let o) = try await store.submit(Self.job(), owner: Self.owner(km2: 0.4), key: "k1", bodySHA256: "aa") else {
                Issue.record("not created"); return
            }
            #expect(o.jobID == job.id && o.charge == .reserved)
            #expect(try await queue.job(id: job.id)?.state == .queued)
            #expect(try await store.owner(jobID: job.id) == o)
            #expect(try await store.quotaTotals(entity: "lab") == QuotaTotals(quotaKm2: 1, usedKm2: 0, reservedKm2: 0.4, reservedJobs: 1))
            #expect(try await store.submission(user: "ann", key: "k1") == IdempotentSubmission(jobID: job.id, bodySHA256: "aa"))
            // The same key again: the first job, nothing written (whatever the body: the API compares it).
            guard case .replayed(let first) = try await s.stores[1].submit(Self.job(1), owner: Self.owner(km2: 0.4), key: "k1", bodySHA256: "bb") else {
                Issue.record("not replayed"); return
            }
            #expect(first == IdempotentSubmission(jobID: job.id, bodySHA256: "aa"))
            #expect(try await Self.jobCount(queue) == 1)
            // Over the quota: nothing written, the totals said.
            guard case .overQuota(let t) = try await store.submit(Self.job(2), owner: Self.owner(km2: 0.7), key: nil, bodySHA256: "cc") else {
                Issue.record("admitted over the quota"); return
            }
            #expect(abs(t.remainingKm2 - 0.6) < 1e-12)
            #expect(try await Self.jobCount(queue) == 1)
            // Settled: charged once; the quota's use follows.
            try await store.settle(jobID: job.id, as: .charged)
            try await s.stores[1].settle(jobID: job.id, as: .charged)
            #expect(try await store.quotaTotals(entity: "lab") == QuotaTotals(quotaKm2: 1, usedKm2: 0.4, reservedKm2: 0, reservedJobs: 0))
            // A dismissed job's key makes a new job.
            try await store.dismiss(jobID: job.id)
            #expect(try await store.owner(jobID: job.id) == nil)
            guard case .created(let next, _) = try await store.submit(Self.job(3), owner: Self.owner(km2: 0.1), key: "k1", bodySHA256: "dd") else {
                Issue.record("a dismissed key did not make a new job"); return
            }
            #expect(next.id != job.id)
            #expect(try await store.submission(user: "ann", key: "k1")?.jobID == next.id)
            #expect(try await store.jobs(visibleTo: Account(user: "ann", entity: "lab", role: .user), limit: 10, offset: 0).map(\.jobID) == [next.id])
        }
    }

    /// A failure after the job's row and before its reservation (a trigger that aborts the
    /// reservation's insert, as a crash would) leaves neither: no uncharged job, no job-less charge.
    @Test(arguments: StoreBackend.allCases) func aFailureBetweenJobAndReservationLeavesNeither(_ backend: StoreBackend) async throws {
        try await Self.withStores(backend) { s in
            let (queue, store) = (s.queues[0], s.stores[0])
            try await store.addEntity("lab", quotaKm2: 1)
            guard case .created = try await store.submit(Self.job(), owner: Self.owner(km2: 0.2), key: "a", bodySHA256: "aa") else {
                Issue.record("not created"); return
            }
            switch backend {
            case .sqlite:
                try await s.sql("CREATE TRIGGER relief_test_fault BEFORE INSERT ON relief_job_owners BEGIN SELECT RAISE(ABORT, 'injected fault'); END")
            case .postgres:
                try await s.sql("""
                    CREATE FUNCTION relief_test_fault() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected fault'; END $$;
                    CREATE TRIGGER relief_test_fault BEFORE INSERT ON relief_job_owners FOR EACH ROW EXECUTE FUNCTION relief_test_fault();
                    """)
            }
            await #expect(throws: AccountError.self) {
                _ = try await store.submit(Self.job(1), owner: Self.owner(km2: 0.3), key: "b", bodySHA256: "bb")
            }
            #expect(try await Self.jobCount(queue) == 1, "the job of the failed submission is not queued")
            #expect(try await store.quotaTotals(entity: "lab").reservedKm2 == 0.2)
            #expect(try await store.submission(user: "ann", key: "b") == nil)
            try await s.sql(backend == .sqlite ? "DROP TRIGGER relief_test_fault" : "DROP TRIGGER relief_test_fault ON relief_job_owners")
            guard case .created(let job, _) = try await store.submit(Self.job(1), owner: Self.owner(km2: 0.3), key: "b", bodySHA256: "bb") else {
                Issue.record("not created after the fault"); return
            }
            #expect(try await queue.job(id: job.id)?.state == .queued)
            #expect(try await Self.jobCount(queue) == 2)
            #expect(abs(try await store.quotaTotals(entity: "lab").reservedKm2 - 0.5) < 1e-12)
        }
    }

    /// Two servers submitting at once for one entity never admit more than its quota, and one
    /// key makes one job.
    @Test(arguments: StoreBackend.allCases) func concurrentServersKeepTheQuotaAndTheKey(_ backend: StoreBackend) async throws {
        try await Self.withStores(backend) { s in
            try await s.stores[0].addEntity("lab", quotaKm2: 5)
            let outcomes = try await withThrowingTaskGroup(of: String.self) { group in
                for i in 0..<12 {
                    let store = s.stores[i % 2]
                    group.addTask {
                        switch try await store.submit(Self.job(i), owner: Self.owner(km2: 1), key: nil, bodySHA256: "x\(i)") {
                        case .created: "created"
                        case .overQuota: "over"
                        case .replayed: "replayed"
                        }
                    }
                }
                return try await group.reduce(into: [String: Int]()) { $0[$1, default: 0] += 1 }
            }
            #expect(outcomes == ["created": 5, "over": 7])
            #expect(try await s.stores[1].quotaTotals(entity: "lab") == QuotaTotals(quotaKm2: 5, usedKm2: 0, reservedKm2: 5, reservedJobs: 5))
            #expect(try await Self.jobCount(s.queues[0]) == 5)

            try await s.stores[0].setQuota(entity: "lab", km2: 100)
            let ids = try await withThrowingTaskGroup(of: Int64.self) { group in
                for i in 0..<8 {
                    let store = s.stores[i % 2]
                    group.addTask {
                        switch try await store.submit(Self.job(100 + i), owner: Self.owner(km2: 1), key: "same", bodySHA256: "k") {
                        case .created(let job, _): job.id
                        case .replayed(let first): first.jobID
                        case .overQuota: -1
                        }
                    }
                }
                return try await group.reduce(into: Set<Int64>()) { $0.insert($1) }
            }
            #expect(ids.count == 1 && !ids.contains(-1), "\(ids)")
            #expect(try await Self.jobCount(s.queues[0]) == 6)
        }
    }
}
