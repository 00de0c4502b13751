import Foundation
import Testing
@testable import ReliefQueue

/// The `JobQueue` contract, run against both backends (PostgreSQL only when RELIEF_TEST_POSTGRES_URL is set).
extension QueueSerialTests {
    @Suite("Queue contract (SQLite and PostgreSQL)")
    struct QueueContractTests {
        /// PostgreSQL joins when configured; otherwise `postgresContract` below is reported skipped, with the reason.
        static let backends: [Backend] = TestPostgres.url == nil ? [.sqlite] : Backend.allCases

        @Test("PostgreSQL backend runs the same contract", .enabled(if: TestPostgres.url != nil, TestPostgres.skipMessage))
        func postgresContract() {
            #expect(Self.backends.contains(.postgres))
        }

        @Test("duplicate submit returns the same job", arguments: backends)
        func duplicateSubmit(_ backend: Backend) async throws {
            try await withQueue(backend) { q in
                let a = try await q.submit(NewJob(kind: "probe", payload: "{}", idempotencyKey: "k1"))
                let b = try await q.submit(NewJob(kind: "probe", payload: "{}", idempotencyKey: "k1"))
                let c = try await q.submit(NewJob(kind: "probe", payload: "{}", idempotencyKey: "k2"))
                #expect(a.created && !b.created && c.created)
                #expect(a.job.id == b.job.id)
                #expect(c.job.id != a.job.id)
                #expect(try await q.counts()[.queued] == 2)
            }
        }

        @Test("priority first, then submission order", arguments: backends)
        func priorityOrder(_ backend: Backend) async throws {
            try await withQueue(backend) { q in
                var ids: [String: Int64] = [:]
                for (name, p) in [("batch1", 0), ("interactive1", 10), ("mid", 5), ("interactive2", 10), ("batch2", 0)] {
                    ids[name] = try await q.submit(NewJob(kind: "probe", payload: "{}", priority: p, idempotencyKey: name)).job.id
                }
                var order: [Int64] = []
                while let j = try await q.claim(owner: "w", leaseSeconds: 30) { order.append(j.id) }
                #expect(order == ["interactive1", "interactive2", "mid", "batch1", "batch2"].map { ids[$0]! })
            }
        }

        @Test("an expired lease is claimed again, attempts counted, the old owner locked out", arguments: backends)
        func leaseExpiry(_ backend: Backend) async throws {
            try await withQueue(backend) { q in
                let id = try await q.submit(NewJob(kind: "probe", payload: "{}")).job.id
                let first = try #require(try await q.claim(owner: "a", leaseSeconds: 0.2))
                #expect(first.id == id && first.attempts == 1 && first.state == .running)
                #expect(try await q.claim(owner: "b", leaseSeconds: 30) == nil, "a live lease is not taken")
                try await Task.sleep(nanoseconds: 300_000_000)
                let second = try #require(try await q.claim(owner: "b", leaseSeconds: 30))
                #expect(second.id == id && second.attempts == 2 && second.leaseOwner == "b")
                #expect(try await q.heartbeat(id: id, owner: "a", leaseSeconds: 30, progress: 50, step: nil) == .leaseLost)
                #expect(try await q.complete(id: id, owner: "a", result: nil) == false)
                #expect(try await q.complete(id: id, owner: "b", result: "{}") == true)
                #expect(try await q.job(id: id)?.state == .succeeded)
            }
        }

        @Test("poison job: failed after max attempts with its last error; back-off between", arguments: backends)
        func poison(_ backend: Backend) async throws {
            try await withQueue(backend, policy: QueuePolicy(baseBackoff: 0.15)) { q in
                let id = try await q.submit(NewJob(kind: "probe", payload: "{}", maxAttempts: 3)).job.id
                for attempt in 1...3 {
                    // Back-offs are 0.15 and 0.3 s; 10 s of polling because the suites run in parallel
                    // on 2 cores beside DSM processes (2 s once timed out on CI).
                    let j = try #require(try await waitClaim(q, seconds: 10))
                    #expect(j.attempts == attempt)
                    let state = try await q.fail(id: id, owner: "w", error: "boom \(attempt)", retryable: true)
                    #expect(state == (attempt < 3 ? .queued : .failed))
                    if attempt == 1 {
                        // Back-off 0.15 s after the first failure: not claimable at once.
                        #expect(try await q.claim(owner: "w", leaseSeconds: 30) == nil)
                    }
                }
                let job = try #require(try await q.job(id: id))
                #expect(job.state == .failed && job.attempts == 3 && job.lastError == "boom 3")
                #expect(try await q.claim(owner: "w", leaseSeconds: 30) == nil)
            }
        }

        @Test("a permanent error fails at once", arguments: backends)
        func permanentFailure(_ backend: Backend) async throws {
            try await withQueue(backend) { q in
                let id = try await q.submit(NewJob(kind: "pwh", payload: "{}")).job.id
                _ = try #require(try await q.claim(owner: "w", leaseSeconds: 30))
                #expect(try await q.fail(id: id, owner: "w", error: "pwh not available yet", retryable: false) == .failed)
                #expect(try await q.job(id: id)?.attempts == 1)
            }
        }

        @Test("a lease expiring at the last attempt fails the job (worker lost)", arguments: backends)
        func lostAtLastAttempt(_ backend: Backend) async throws {
            try await withQueue(backend) { q in
                let id = try await q.submit(NewJob(kind: "probe", payload: "{}", maxAttempts: 1)).job.id
                _ = try #require(try await q.claim(owner: "a", leaseSeconds: 0.1))
                try await Task.sleep(nanoseconds: 200_000_000)
                #expect(try await q.claim(owner: "b", leaseSeconds: 30) == nil)
                let job = try #require(try await q.job(id: id))
                #expect(job.state == .failed)
                #expect(job.lastError?.contains("worker lost") == true)
            }
        }

        @Test("cancel a queued job, and a running one through its heartbeat", arguments: backends)
        func cancel(_ backend: Backend) async throws {
            try await withQueue(backend) { q in
                let running = try await q.submit(NewJob(kind: "probe", payload: "{}", priority: 1)).job.id
                let queued = try await q.submit(NewJob(kind: "probe", payload: "{}")).job.id
                _ = try #require(try await q.claim(owner: "w", leaseSeconds: 30))
                #expect(try await q.cancel(id: queued).state == .cancelled)
                let flagged = try await q.cancel(id: running)
                #expect(flagged.state == .running && flagged.cancelRequested)
                #expect(try await q.heartbeat(id: running, owner: "w", leaseSeconds: 30, progress: 10, step: "s") == .cancelRequested)
                try await q.markCancelled(id: running, owner: "w")
                #expect(try await q.job(id: running)?.state == .cancelled)
                #expect(try await q.claim(owner: "w", leaseSeconds: 30) == nil)
                await #expect(throws: QueueError.self) { _ = try await q.cancel(id: 999_999) }
            }
        }

        @Test("progress written back; release gives the job back without counting the attempt", arguments: backends)
        func progressAndRelease(_ backend: Backend) async throws {
            try await withQueue(backend) { q in
                let id = try await q.submit(NewJob(kind: "probe", payload: "{}")).job.id
                _ = try #require(try await q.claim(owner: "w", leaseSeconds: 30))
                #expect(try await q.heartbeat(id: id, owner: "w", leaseSeconds: 30, progress: 42.5, step: "tiles 3/7") == .keepGoing)
                let j = try #require(try await q.job(id: id))
                #expect(j.progress == 42.5 && j.step == "tiles 3/7")
                try await q.release(id: id, owner: "w")
                let r = try #require(try await q.job(id: id))
                #expect(r.state == .queued && r.attempts == 0 && r.leaseOwner == nil)
                #expect(try await q.list(state: .queued, limit: 10).map(\.id) == [id])
            }
        }
    }
}

/// Claims, retrying while the job waits out its back-off.
func waitClaim(_ q: any JobQueue, seconds: Double) async throws -> Job? {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if let j = try await q.claim(owner: "w", leaseSeconds: 30) { return j }
        try await Task.sleep(nanoseconds: 20_000_000)
    }
    return nil
}
