import Foundation
import ReliefQueue

// Queue overhead: claims + completions per second for empty jobs.
// `swift run -c release queue-bench [JOBS] [postgres://...]`: SQLite in a temporary folder always,
// PostgreSQL when a URL is given (or RELIEF_TEST_POSTGRES_URL is set). Each worker opens its own
// queue (its own SQLite connection pool / PostgreSQL client), as separate processes would; jobs are
// submitted first (not timed), then the workers claim and complete until the queue is empty.

let args = CommandLine.arguments.dropFirst()
let jobs = args.first.flatMap { Int($0) } ?? 2000
let pgURL = args.dropFirst().first ?? ProcessInfo.processInfo.environment["RELIEF_TEST_POSTGRES_URL"]

func bench(name: String, open: @escaping @Sendable () async throws -> any JobQueue, workers: Int) async throws -> Double {
    let setup = try await open()
    // Jobs left by an interrupted earlier run are finished first (not timed).
    while let stale = try await setup.claim(owner: "drain", leaseSeconds: 30) {
        _ = try await setup.complete(id: stale.id, owner: "drain", result: nil)
    }
    let tag = UUID().uuidString
    for i in 0..<jobs {
        _ = try await setup.submit(NewJob(kind: "probe", payload: "{}", idempotencyKey: "bench-\(tag)-\(i)"))
    }
    let queues = try await (0..<workers).asyncMap { _ in try await open() }
    let start = DispatchTime.now()
    let done = try await withThrowingTaskGroup(of: Int.self) { group in
        for (w, q) in queues.enumerated() {
            group.addTask {
                var n = 0
                while let job = try await q.claim(owner: "bench-\(w)", leaseSeconds: 30) {
                    guard try await q.complete(id: job.id, owner: "bench-\(w)", result: nil) else { fatalError("lease lost") }
                    n += 1
                }
                return n
            }
        }
        return try await group.reduce(0, +)
    }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    precondition(done == jobs, "\(done) of \(jobs) jobs done")
    let rate = Double(jobs) / seconds
    print(String(format: "| %@ | %d | %d | %.2f | %.0f |", name, workers, jobs, seconds, rate))
    for q in queues { await q.shutdown() }
    await setup.shutdown()
    return rate
}

extension Sequence {
    func asyncMap<T>(_ f: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for e in self { out.append(try await f(e)) }
        return out
    }
}

print("| backend | workers | jobs | seconds | jobs/s (claim + complete) |")
print("| --- | --- | --- | --- | --- |")
for workers in [1, 4] {
    let folder = NSTemporaryDirectory() + "queue-bench-" + UUID().uuidString
    defer { try? FileManager.default.removeItem(atPath: folder) }
    _ = try await bench(name: "SQLite (WAL)", open: { try SQLiteJobQueue(folder: folder) }, workers: workers)
}
if let pgURL {
    for workers in [1, 4] {
        _ = try await bench(name: "PostgreSQL 15", open: { try await PostgresJobQueue(url: pgURL) }, workers: workers)
    }
} else {
    print("(PostgreSQL skipped: pass a postgres:// URL or set RELIEF_TEST_POSTGRES_URL)")
}
