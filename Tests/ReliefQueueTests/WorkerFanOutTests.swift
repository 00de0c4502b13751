import Foundation
import Testing
@testable import ReliefQueue

/// The worker's side of a fan-out (`JobSplit`), with a runner that splits `fan` jobs into 3 `leaf` jobs.
@Suite("Worker: fan-out")
struct WorkerFanOutTests {
    struct SplittingRunner: JobRunner {
        var fanOutKinds: Set<String> { ["fan"] }

        func run(_ context: JobContext) throws -> String? {
            switch context.job.kind {
            case "fan":
                if context.children.isEmpty {
                    throw JobSplit(children: (0..<3).map { k in
                        NewJob(kind: "leaf", payload: k == 1 ? context.job.payload : "ok", maxAttempts: 2,
                               idempotencyKey: "fanout-\(context.job.id)-tile-\(k)")
                    })
                }
                return #"{"merged":\#(context.children.count)}"#
            default:
                if context.job.payload == "fail" { throw JobFailure.permanent("bad tile") }
                return "{}"
            }
        }
    }

    /// Runs a worker (2 slots) until `id` is final; returns the queue's view of it and its children.
    func runUntilFinal(_ payload: String) async throws -> (parent: Job, children: [Job]) {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let q = try SQLiteJobQueue(folder: folder, policy: QueuePolicy(baseBackoff: 0.01))
        let id = try await q.submit(NewJob(kind: "fan", payload: payload, priority: 7)).job.id
        var options = WorkerOptions()
        options.concurrency = 2
        options.pollSeconds = 0.02
        options.heartbeatSeconds = 0.1
        let worker = Worker(queue: q, runner: SplittingRunner(), options: options)
        let run = Task { await worker.run() }
        _ = try await waitUntil(seconds: 60) { try await q.job(id: id)?.state.isFinal ?? false }
        worker.stop()
        await run.value
        let parent = try #require(try await q.job(id: id))
        let children = try await q.children(of: id)
        await q.shutdown()
        return (parent, children)
    }

    @Test("a split job waits for its children, then runs once more to merge; children inherit its priority")
    func splitAndMerge() async throws {
        let (parent, children) = try await runUntilFinal("ok")
        #expect(parent.state == .succeeded, "\(parent.lastError ?? "")")
        #expect(parent.result == #"{"merged":3}"#)
        #expect(parent.attempts == 1, "the split is not counted as an attempt")
        #expect(children.count == 3 && children.allSatisfy { $0.state == .succeeded && $0.priority == 7 && $0.kind == "leaf" })
    }

    @Test("a child failing for good fails the parent with its tile number and error")
    func childFails() async throws {
        let (parent, children) = try await runUntilFinal("fail")
        #expect(parent.state == .failed)
        #expect(parent.lastError == "tile 1: bad tile")
        #expect(children[1].state == .failed)
    }

    @Test("the janitor removes the tile folders of final or unknown jobs, keeps those of live jobs")
    func janitor() async throws {
        let base = try makeTemporaryFolder()
        defer { removeFolder(base) }
        let q = try SQLiteJobQueue(folder: base + "/q")
        let failed = try await q.submit(NewJob(kind: "dsm", payload: "{}")).job.id
        _ = try #require(try await q.claim(owner: "w", leaseSeconds: 30))
        _ = try await q.fail(id: failed, owner: "w", error: "tile 0: boom", retryable: false)
        let live = try await q.submit(NewJob(kind: "dsm", payload: "{}")).job.id
        let staging = base + "/out/.relief-staging"
        for name in ["fanout-\(failed)", "fanout-\(live)", "fanout-999", "fanout-x", "job-1-attempt-1"] {
            try FileManager.default.createDirectory(atPath: staging + "/" + name + "/sub", withIntermediateDirectories: true)
        }
        let removed = await FanOutJanitor.sweep(queue: q, outputRoot: base + "/out")
        #expect(removed.sorted() == ["fanout-\(failed)", "fanout-999"].sorted())
        #expect(try FileManager.default.contentsOfDirectory(atPath: staging).sorted() == ["fanout-\(live)", "fanout-x", "job-1-attempt-1"])
        await q.shutdown()
    }
}
