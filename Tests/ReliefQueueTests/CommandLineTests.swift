import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
@testable import ReliefQueue

extension QueueSerialTests {
    @Suite("pipeline-worker command line")
    struct CommandLineTests {
        @Test("--help lists the subcommands")
        func help() throws {
            let r = try WorkerBinary.run(["--help"])
            #expect(r.status == 0)
            for sub in ["work", "submit", "status", "cancel", "list"] { #expect(r.out.contains(sub), "\(sub) missing from --help") }
        }

        @Test("submit rejects an escaping path with a message and queues nothing")
        func rejected() async throws {
            let base = try makeTemporaryFolder()
            defer { removeFolder(base) }
            for d in ["in", "out"] { try FileManager.default.createDirectory(atPath: base + "/" + d, withIntermediateDirectories: true) }
            FileManager.default.createFile(atPath: base + "/secret.tif", contents: Data([1]))
            FileManager.default.createFile(atPath: base + "/in/a.tif", contents: Data([1]))
            let r = try WorkerBinary.run(["submit", "dsm", base + "/in/a.tif", base + "/in/../secret.tif", "--height", "300",
                                          "--queue", base + "/q", "--input-root", base + "/in", "--output-root", base + "/out"])
            #expect(r.status != 0)
            #expect(r.err.contains("outside the allowed root"), "\(r.err)")
            let q = try SQLiteJobQueue(folder: base + "/q")
            #expect(try await q.counts().values.reduce(0, +) == 0)
            await q.shutdown()
        }

        @Test("submit request refuses a dsm-tile job (only a splitting worker makes them) and queues nothing")
        func tileRejected() async throws {
            let base = try makeTemporaryFolder()
            defer { removeFolder(base) }
            for d in ["in", "out"] { try FileManager.default.createDirectory(atPath: base + "/" + d, withIntermediateDirectories: true) }
            FileManager.default.createFile(atPath: base + "/tile.json", contents: Data(#"{"version":1,"kind":"dsm-tile"}"#.utf8))
            let r = try WorkerBinary.run(["submit", "request", base + "/tile.json",
                                          "--queue", base + "/q", "--input-root", base + "/in", "--output-root", base + "/out"])
            #expect(r.status != 0)
            #expect(r.err.contains("dsm-tile jobs are made by a worker"), "\(r.err)")
            let q = try SQLiteJobQueue(folder: base + "/q")
            #expect(try await q.counts().values.reduce(0, +) == 0)
            await q.shutdown()
        }

        @Test("a worker serves Prometheus metrics: jobs finished, durations, queue depth by state")
        func metrics() async throws {
            let base = try makeTemporaryFolder()
            defer { removeFolder(base) }
            try FileManager.default.createDirectory(atPath: base + "/out", withIntermediateDirectories: true)
            let q = try SQLiteJobQueue(folder: base + "/q")
            for i in 0..<3 { _ = try await q.submit(NewJob(kind: "probe", payload: probePayload(tag: "m\(i)"))) }
            let port = 20_000 + Int(getpid() % 20_000)
            let w = try WorkerBinary.start(queue: base + "/q", inputRoot: base, outputRoot: base + "/out", log: base + "/w.log",
                                           extra: ["--metrics-port", "\(port)"])
            defer { stopWorkers([w]) }
            #expect(try await waitUntil(seconds: 30) { try await q.counts()[.succeeded] == 3 })
            var text = ""
            _ = try await waitUntil(seconds: 10) {
                text = (try? String(contentsOf: URL(string: "http://127.0.0.1:\(port)/metrics")!, encoding: .utf8)) ?? ""
                return text.contains("relief_jobs{")
            }
            #expect(text.contains(#"relief_jobs_finished_total{kind="probe",outcome="succeeded"} 3"#), "\(text)")
            #expect(text.contains("relief_job_duration_seconds_count"))
            #expect(text.contains(#"relief_jobs{state="queued"}"#))
            #expect(text.contains(#"relief_jobs{state="waiting"}"#))
            await q.shutdown()
        }

        @Test("work --split-above takes N or WxH and rejects anything else; its help says what it is")
        func splitAbove() throws {
            let help = try WorkerBinary.run(["work", "--help"])
            #expect(help.out.contains("--split-above") && help.out.contains("4096x4096"), "\(help.out)")
            for bad in ["12x", "5y", "big", "4096x4096x2"] {
                let r = try WorkerBinary.run(["work", "--split-above", bad, "--queue", "/nonexistent/q", "--input-root", "/tmp", "--output-root", "/tmp"])
                #expect(r.status != 0)
                #expect(r.err.contains("--split-above must be a pixel count"), "\(bad): \(r.err)")
            }
        }

        @Test("work --memory takes a size and refuses one that leaves a job less than 256 MiB")
        func memory() throws {
            let help = try WorkerBinary.run(["work", "--help"])
            #expect(help.out.contains("--memory"), "\(help.out)")
            for (bad, message) in [(["--memory", "lots"], "--memory must be a size"), (["--memory", "300M", "--concurrency", "2"], "150 MiB to each of 2 jobs")] {
                let r = try WorkerBinary.run(["work"] + bad + ["--queue", "/nonexistent/q", "--input-root", "/tmp", "--output-root", "/tmp"])
                #expect(r.status != 0)
                #expect(r.err.contains(message), "\(bad): \(r.err)")
            }
        }
    }
}
