import Foundation
import Testing
@testable import ReliefQueue

/// The fan-out part of the `JobQueue` contract (a parent waiting for its children), both backends.
extension QueueSerialTests {
    @Suite("Queue contract: fan-out (SQLite and PostgreSQL)")
    struct FanOutContractTests {
        static let backends = QueueContractTests.backends

        /// Claims the parent, submits `n` children (as the worker does) and makes it wait.
        static func split(_ q: any JobQueue, children n: Int, priority: Int = 3) async throws -> (parent: Int64, children: [Int64]) {
            let parent = try await q.submit(NewJob(kind: "dsm", payload: "{}", priority: priority)).job.id
            let claimed = try #require(try await q.claim(owner: "w", leaseSeconds: 30))
            #expect(claimed.id == parent)
            var ids: [Int64] = []
            for k in 0..<n {
                ids.append(try await q.submit(NewJob(kind: "dsm-tile", payload: "{\"k\":\(k)}", priority: priority,
                                                     idempotencyKey: "fanout-\(parent)-tile-\(k)", parentID: parent)).job.id)
            }
            #expect(try await q.wait(id: parent, owner: "w") == .waiting)
            return (parent, ids)
        }

        @Test("a waiting parent is claimed only once all its children succeeded; progress follows them", arguments: backends)
        func parentWaits(_ backend: Backend) async throws {
            try await withQueue(backend) { q in
                let (parent, children) = try await Self.split(q, children: 2)
                let waiting = try #require(try await q.job(id: parent))
                #expect(waiting.state == .waiting && waiting.attempts == 0 && waiting.leaseOwner == nil, "the split is not an attempt")
                #expect(waiting.progress == 5 && waiting.step == "tiles 0/2")
                let a = try #require(try await q.claim(owner: "a", leaseSeconds: 30))
                let b = try #require(try await q.claim(owner: "b", leaseSeconds: 30))
                #expect([a.id, b.id] == children)
                #expect(try await q.claim(owner: "c", leaseSeconds: 30) == nil, "children still running")
                #expect(try await q.complete(id: a.id, owner: "a", result: "{}"))
                let half = try #require(try await q.job(id: parent))
                #expect(half.state == .waiting && half.progress == 50 && half.step == "tiles 1/2")
                #expect(try await q.claim(owner: "c", leaseSeconds: 30) == nil, "one child still running")
                #expect(try await q.complete(id: b.id, owner: "b", result: "{}"))
                let merge = try #require(try await q.claim(owner: "c", leaseSeconds: 30))
                #expect(merge.id == parent && merge.state == .running && merge.attempts == 1)
                #expect(try await q.children(of: parent).map(\.id) == children)
                #expect(try await q.complete(id: parent, owner: "c", result: "{}"))
                #expect(try await q.claim(owner: "c", leaseSeconds: 30) == nil)
                #expect(try await q.counts()[.succeeded] == 3)
            }
        }

        @Test("a child failed for good fails its parent with 'tile K: <its error>' and cancels its siblings", arguments: backends)
        func childFailureFailsParent(_ backend: Backend) async throws {
            try await withQueue(backend) { q in
                let (parent, children) = try await Self.split(q, children: 3)
                _ = try #require(try await q.claim(owner: "a", leaseSeconds: 30))
                _ = try #require(try await q.claim(owner: "b", leaseSeconds: 30))
                #expect(try await q.complete(id: children[0], owner: "a", result: "{}"))
                #expect(try await q.fail(id: children[1], owner: "b", error: "no overlap", retryable: false) == .failed)
                // PostgreSQL sweeps at most every 0.1 s.
                try await Task.sleep(nanoseconds: 150_000_000)
                #expect(try await q.claim(owner: "c", leaseSeconds: 30) == nil, "the queued sibling is cancelled, the parent failed")
                let failed = try #require(try await q.job(id: parent))
                #expect(failed.state == .failed)
                #expect(failed.lastError == "tile 1: no overlap")
                #expect(try await q.job(id: children[2])?.state == .cancelled)
                #expect(try await q.job(id: children[0])?.state == .succeeded)
            }
        }

        @Test("a retried child does not fail its parent", arguments: backends)
        func childRetry(_ backend: Backend) async throws {
            try await withQueue(backend) { q in
                let (parent, children) = try await Self.split(q, children: 1)
                _ = try #require(try await q.claim(owner: "a", leaseSeconds: 30))
                #expect(try await q.fail(id: children[0], owner: "a", error: "transient", retryable: true) == .queued)
                let again = try #require(try await waitClaim(q, seconds: 10))
                #expect(again.id == children[0] && again.attempts == 2)
                #expect(try await q.job(id: parent)?.state == .waiting)
                #expect(try await q.complete(id: again.id, owner: "w", result: "{}"))
                #expect(try await q.claim(owner: "w", leaseSeconds: 30)?.id == parent)
            }
        }

        @Test("cancelling a parent cancels its queued children and flags its running ones", arguments: backends)
        func cancelCascades(_ backend: Backend) async throws {
            try await withQueue(backend) { q in
                let (parent, children) = try await Self.split(q, children: 2)
                let running = try #require(try await q.claim(owner: "a", leaseSeconds: 30))
                #expect(running.id == children[0])
                #expect(try await q.cancel(id: parent).state == .cancelled)
                #expect(try await q.job(id: children[1])?.state == .cancelled)
                #expect(try await q.job(id: children[0])?.cancelRequested == true)
                #expect(try await q.heartbeat(id: children[0], owner: "a", leaseSeconds: 30, progress: 1, step: nil) == .cancelRequested)
                try await q.markCancelled(id: children[0], owner: "a")
                #expect(try await q.claim(owner: "w", leaseSeconds: 30) == nil)
                #expect(try await q.job(id: parent)?.state == .cancelled)
            }
        }

        @Test("a cancel that arrives during the split cancels the parent and its children at the wait", arguments: backends)
        func cancelDuringSplit(_ backend: Backend) async throws {
            try await withQueue(backend) { q in
                let parent = try await q.submit(NewJob(kind: "dsm", payload: "{}")).job.id
                _ = try #require(try await q.claim(owner: "w", leaseSeconds: 30))
                #expect(try await q.cancel(id: parent).cancelRequested)
                let child = try await q.submit(NewJob(kind: "dsm-tile", payload: "{}", idempotencyKey: "fanout-\(parent)-tile-0", parentID: parent)).job.id
                #expect(try await q.wait(id: parent, owner: "w") == .cancelled)
                #expect(try await q.job(id: child)?.state == .cancelled)
                #expect(try await q.wait(id: parent, owner: "w") == nil, "no lease any more")
            }
        }

        @Test("a repeated split adds no child (idempotency keys from the parent and the tile)", arguments: backends)
        func idempotentSplit(_ backend: Backend) async throws {
            try await withQueue(backend) { q in
                let (parent, children) = try await Self.split(q, children: 3)
                for k in 0..<3 {
                    let again = try await q.submit(NewJob(kind: "dsm-tile", payload: "{\"k\":\(k)}", priority: 3,
                                                          idempotencyKey: "fanout-\(parent)-tile-\(k)", parentID: parent))
                    #expect(!again.created && again.job.id == children[k])
                }
                #expect(try await q.children(of: parent).count == 3)
                #expect(try await q.children(of: parent).allSatisfy { $0.priority == 3 && $0.parentID == parent })
            }
        }
    }
}
