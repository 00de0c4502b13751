import Foundation
import Testing
@testable import ReliefQueue

/// `pipeline-worker` processes against a queue: crashes, many workers, poison jobs, cancellation.
/// Serialized: each test starts several processes and the machine has 2 cores.
extension QueueSerialTests {
    @Suite("Worker processes")
    struct WorkerProcessTests {
        /// The repository's testdata folder (the bundled synthetic stereo pair).
        static let testdata: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("testdata").path

        @Test("SIGKILL during a real DSM job: a second worker finishes it after the lease; one output, no temporary file, attempts 2")
        func crashDuringDSM() async throws {
            let base = try makeTemporaryFolder()
            defer { removeFolder(base) }
            let queue = base + "/queue", out = base + "/out"
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            // Small ROI and tiles: 4 tiles of 48 px, a few seconds in a debug build.
            let s = try WorkerBinary.run(["submit", "dsm", Self.testdata + "/stereo_left.tif", Self.testdata + "/stereo_right.tif",
                                          "--height", "340", "--height-margin", "40", "--resolution", "1", "--roi", "80,80,96,96",
                                          "--tile", "48", "--output", "crash", "--queue", queue, "--input-root", Self.testdata,
                                          "--output-root", out])
            #expect(s.status == 0, "submit failed: \(s.err)")
            let q = try SQLiteJobQueue(folder: queue)
            let id = try #require(try await q.list(state: .queued, limit: 1).first?.id)
            let lease = ["--lease", "2", "--heartbeat", "0.3", "--threads", "1"]
            let first = try WorkerBinary.start(queue: queue, inputRoot: Self.testdata, outputRoot: out, log: base + "/w1.log", extra: lease)
            // Killed once it is inside the pipeline (progress written back by a heartbeat).
            let started = try await waitUntil(seconds: 60) { (try await q.job(id: id)?.progress ?? 0) >= 2 }
            #expect(started, "the first worker never reported progress")
            kill(first.processIdentifier, SIGKILL)
            first.waitUntilExit()
            #expect(try await q.job(id: id)?.state == .running, "the job finished before the kill: the test proves nothing")
            let second = try WorkerBinary.start(queue: queue, inputRoot: Self.testdata, outputRoot: out, log: base + "/w2.log", extra: lease)
            defer { stopWorkers([second]) }
            let done = try await waitUntil(seconds: 120) { try await q.job(id: id)?.state.isFinal ?? false }
            #expect(done, "the second worker did not finish the job")
            let job = try #require(try await q.job(id: id))
            #expect(job.state == .succeeded, "\(job.lastError ?? "")")
            #expect(job.attempts == 2)
            #expect(try FileManager.default.contentsOfDirectory(atPath: out + "/crash") == ["dsm.tif"])
            let leftovers = FileManager.default.enumerator(atPath: out)?.allObjects as? [String] ?? []
            #expect(leftovers.filter { !$0.hasPrefix("crash") && $0 != ".relief-staging" }.isEmpty, "temporary files left: \(leftovers)")
            await q.shutdown()
        }

        /// 300 probe jobs over `processes` workers (concurrency 2 each): every job done exactly once.
        func exactlyOnce(queueURL: String, processes: Int, open: () async throws -> any JobQueue) async throws {
            let base = try makeTemporaryFolder()
            defer { removeFolder(base) }
            let out = base + "/out"
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            let q = try await open()
            var ids: Set<Int64> = []
            for i in 0..<300 {
                ids.insert(try await q.submit(NewJob(kind: "probe", payload: probePayload(sleepMs: 2, sideEffect: "effects.txt", tag: "\(i)"))).job.id)
            }
            let workers = try (0..<processes).map {
                try WorkerBinary.start(queue: queueURL, inputRoot: base, outputRoot: out, log: base + "/w\($0).log",
                                       extra: ["--concurrency", "2", "--lease", "10"])
            }
            let done = try await waitUntil(seconds: 120) { try await q.counts()[.succeeded] == 300 }
            stopWorkers(workers)
            let counts = try await q.counts()
            #expect(done, "not all jobs succeeded: \(counts)")
            let effects = try sideEffects(out + "/effects.txt")
            #expect(Set(effects.keys) == ids, "jobs lost: \(ids.subtracting(effects.keys).count)")
            #expect(effects.values.allSatisfy { $0 == 1 }, "jobs run twice: \(effects.filter { $0.value > 1 })")
            #expect(try await q.list(state: .succeeded, limit: 1000).allSatisfy { $0.attempts == 1 })
            await q.shutdown()
        }

        @Test("exactly once in effect on SQLite: 2 processes, 300 jobs")
        func exactlyOnceSQLite() async throws {
            let folder = try makeTemporaryFolder()
            defer { removeFolder(folder) }
            try await exactlyOnce(queueURL: folder, processes: 2) { try SQLiteJobQueue(folder: folder) }
        }

        @Test("exactly once in effect on PostgreSQL: 4 processes, 300 jobs", .enabled(if: TestPostgres.url != nil, TestPostgres.skipMessage))
        func exactlyOncePostgres() async throws {
            let db = try TestPostgres.makeDatabase()
            defer { TestPostgres.dropDatabase(db) }
            try await exactlyOnce(queueURL: db, processes: 4) { try await PostgresJobQueue(url: db) }
        }

        @Test("poison job fails after max attempts, its error in `status`; a pwh job on a file that is no product fails at once; cancel queued and running through the CLI")
        func poisonAndCancel() async throws {
            let base = try makeTemporaryFolder()
            defer { removeFolder(base) }
            let queue = base + "/queue", out = base + "/out"
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            FileManager.default.createFile(atPath: base + "/product.xml", contents: Data("x".utf8))
            let common = ["--queue", queue, "--input-root", base, "--output-root", out, "--backoff", "0.05"]
            func submitted(_ args: [String]) throws -> Int64 {
                let r = try WorkerBinary.run(["submit"] + args + common)
                #expect(r.status == 0, "\(r.err)")
                let json = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any]
                return try #require((json?["job"] as? [String: Any])?["id"] as? Int64 ?? ((json?["job"] as? [String: Any])?["id"] as? Int).map(Int64.init))
            }
            func status(_ id: Int64) throws -> Job {
                let r = try WorkerBinary.run(["status", "\(id)", "--queue", queue])
                #expect(r.status == 0, "\(r.err)")
                return try JSONDecoder().decode(Job.self, from: Data(r.out.utf8))
            }
            let poison = try submitted(["probe", "--fail-attempts", "99", "--max-attempts", "3", "--tag", "poison"])
            let pwh = try submitted(["pwh", base + "/product.xml", "--outputs", "ortho"])
            let long = try submitted(["probe", "--sleep-ms", "60000", "--tag", "long", "--priority", "5"])
            let queued = try submitted(["probe", "--tag", "never", "--priority=-10"])
            #expect(try WorkerBinary.run(["cancel", "\(queued)", "--queue", queue]).status == 0)
            #expect(try status(queued).state == .cancelled)
            let worker = try WorkerBinary.start(queue: queue, inputRoot: base, outputRoot: out, log: base + "/w.log",
                                                extra: ["--concurrency", "2", "--lease", "3", "--heartbeat", "0.5", "--backoff", "0.05"])
            defer { stopWorkers([worker]) }
            let q = try SQLiteJobQueue(folder: queue)
            #expect(try await waitUntil(seconds: 30) { try await q.job(id: long)?.state == .running })
            let cancelAt = Date()
            #expect(try WorkerBinary.run(["cancel", "\(long)", "--queue", queue]).status == 0)
            #expect(try await waitUntil(seconds: 10) { try await q.job(id: long)?.state == .cancelled })
            // A heartbeat every 0.5 s plus the probe's 20 ms sleep steps: stopped well within "a few seconds".
            #expect(Date().timeIntervalSince(cancelAt) < 5)
            #expect(try await waitUntil(seconds: 30) { try await q.job(id: poison)?.state == .failed })
            let p = try status(poison)
            #expect(p.attempts == 3)
            #expect(p.lastError?.contains("probe failure at attempt 3") == true, "\(p.lastError ?? "nil")")
            #expect(try await waitUntil(seconds: 30) { try await q.job(id: pwh)?.state == .failed })
            let w = try status(pwh)
            #expect(w.attempts == 1 && w.lastError?.contains("pwh:") == true, "\(w.lastError ?? "nil")")
            await q.shutdown()
        }

        @Test("PostgreSQL restarted while 2 workers run: they reconnect, nothing lost, nothing twice",
              .enabled(if: TestPostgres.url != nil && TestPostgres.dataFolder != nil, TestPostgres.restartSkipMessage))
        func postgresRestart() async throws {
            let db = try TestPostgres.makeDatabase()
            defer { TestPostgres.dropDatabase(db) }
            let base = try makeTemporaryFolder()
            defer { removeFolder(base) }
            let out = base + "/out"
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            let q = try await PostgresJobQueue(url: db)
            var ids: Set<Int64> = []
            for i in 0..<150 {
                // 200 ms each: about 7 s of work for 4 slots, so the restart lands mid-run even on an idle
                // machine (with 20 ms jobs all were done before pg_ctl returned on CI).
                ids.insert(try await q.submit(NewJob(kind: "probe", payload: probePayload(sleepMs: 200, sideEffect: "effects.txt", tag: "\(i)"))).job.id)
            }
            let workers = try (0..<2).map {
                try WorkerBinary.start(queue: db, inputRoot: base, outputRoot: out, log: base + "/w\($0).log",
                                       extra: ["--concurrency", "2", "--lease", "15", "--heartbeat", "1"])
            }
            #expect(try await waitUntil(seconds: 60) { (try await q.counts()[.succeeded] ?? 0) >= 30 })
            // The restarted server's output goes to /dev/null, not to files this process waits on.
            let restart = try runProcess("/usr/sbin/runuser", ["-u", "postgres", "--", "/usr/lib/postgresql/15/bin/pg_ctl",
                                                               "-D", TestPostgres.dataFolder!, "-l", "/dev/null", "restart", "-m", "fast", "-w"])
            print("note: PostgreSQL restarted (pg_ctl status \(restart.status))")
            #expect(restart.status == 0, "pg_ctl restart failed: \(restart.err)")
            // Jobs were still to do when the server came back: the workers carried on across it.
            let afterRestart = try await q.counts()[.succeeded] ?? 0
            #expect(afterRestart < 150, "all jobs were done before the restart: the test proves little")
            let done = try await waitUntil(seconds: 90) { ((try? await q.counts()) ?? [:])[.succeeded] == 150 }
            stopWorkers(workers)
            #expect(done, "not all jobs succeeded after the restart")
            let effects = try sideEffects(out + "/effects.txt")
            #expect(Set(effects.keys) == ids)
            #expect(effects.values.allSatisfy { $0 == 1 }, "jobs run twice: \(effects.filter { $0.value > 1 })")
            // PostgresNIO's pool often reconnects without the worker seeing an error; when a call
            // did fail, the worker retried it (logged "failed, retrying").
            let logs = (0..<2).map { (try? String(contentsOfFile: base + "/w\($0).log", encoding: .utf8)) ?? "" }
            print("note: \(afterRestart) of 150 jobs done when the server was back; workers saw an error: \(logs.contains { $0.contains("failed, retrying") })")
            await q.shutdown()
        }
    }
}
