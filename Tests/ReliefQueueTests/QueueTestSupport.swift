import Foundation
import Testing
@testable import ReliefQueue

/// A fresh folder under the system temporary directory; remove it with `removeFolder`.
func makeTemporaryFolder() throws -> String {
    let path = NSTemporaryDirectory() + "relief-queue-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return resolvePath(path)!
}

func removeFolder(_ path: String) { try? FileManager.default.removeItem(atPath: path) }

/// The test PostgreSQL server (`RELIEF_TEST_POSTGRES_URL`, e.g. postgres://postgres@127.0.0.1:54329/postgres,
/// trust auth) and its data folder for restarts (`RELIEF_TEST_POSTGRES_DATA`); tests needing them
/// skip with a message when unset (`.ci/run` sets both).
enum TestPostgres {
    static let url: String? = ProcessInfo.processInfo.environment["RELIEF_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    static let dataFolder: String? = ProcessInfo.processInfo.environment["RELIEF_TEST_POSTGRES_DATA"].flatMap { $0.isEmpty ? nil : $0 }
    static let skipMessage: Comment = "RELIEF_TEST_POSTGRES_URL is not set: skipping the PostgreSQL tests"
    static let restartSkipMessage: Comment = "RELIEF_TEST_POSTGRES_URL or RELIEF_TEST_POSTGRES_DATA is not set: skipping the restart test"

    /// A new empty database on the test server; returns its URL.
    static func makeDatabase() throws -> String {
        let base = try #require(url, "RELIEF_TEST_POSTGRES_URL unset")
        let name = "relief_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        let r = try runProcess("/usr/bin/psql", [base, "-v", "ON_ERROR_STOP=1", "-q", "-c", "CREATE DATABASE \(name)"])
        #expect(r.status == 0, "createdb failed: \(r.err)")
        var c = try #require(URLComponents(string: base))
        c.path = "/" + name
        return c.string!
    }

    static func dropDatabase(_ dbURL: String) {
        guard let base = url, let name = URLComponents(string: dbURL)?.path.dropFirst() else { return }
        _ = try? runProcess("/usr/bin/psql", [base, "-q", "-c", "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"])
    }
}

enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgres
    var testDescription: String { rawValue }
}

/// A fresh queue of the backend for one test (SQLite folder or PostgreSQL database), removed after.
/// Returns false (and records nothing) when PostgreSQL is not configured.
@discardableResult
func withQueue(_ backend: Backend, policy: QueuePolicy = QueuePolicy(baseBackoff: 0.01),
               _ body: (any JobQueue) async throws -> Void) async throws -> Bool {
    switch backend {
    case .sqlite:
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let q = try SQLiteJobQueue(folder: folder, policy: policy)
        try await body(q)
        await q.shutdown()
    case .postgres:
        guard TestPostgres.url != nil else {
            print("note: \(TestPostgres.skipMessage)")
            return false
        }
        let db = try TestPostgres.makeDatabase()
        defer { TestPostgres.dropDatabase(db) }
        let q = try await PostgresJobQueue(url: db, policy: policy)
        try await body(q)
        await q.shutdown()
    }
    return true
}

/// Runs a program to completion (`posix_spawn` + `waitpid`: Foundation's `Process` can miss the
/// exit of `runuser ... pg_ctl restart`, whose daemon outlives it); stdout and stderr through
/// temporary files, so no pipe can block.
func runProcess(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, out: String, err: String) {
    let folder = NSTemporaryDirectory() + "relief-proc-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { removeFolder(folder) }
    let out = folder + "/out", err = folder + "/err"
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_addopen(&actions, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    let env = ProcessInfo.processInfo.environment.merging(environment) { $1 }.map { "\($0.key)=\($0.value)" }
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    let envp = env.map { strdup($0) } + [nil]
    defer { (argv + envp).forEach { free($0) } }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, executable, &actions, nil, argv, envp)
    guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EINVAL) }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    return (code, (try? String(contentsOfFile: out, encoding: .utf8)) ?? "", (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
}

/// The `pipeline-worker` executable built next to the tests (`swift build --build-tests`).
enum WorkerBinary {
    static var path: String? {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("pipeline-worker").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }

    /// Runs a client subcommand (`submit`, `status`, ...) with probes enabled.
    static func run(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        try runProcess(try #require(path, "pipeline-worker is not built next to the tests"), arguments,
                       environment: ["RELIEF_QUEUE_PROBE": "1"])
    }

    /// Starts `pipeline-worker work ...` in the background (log in `log`); stop it with `terminate()` or SIGKILL.
    static func start(queue: String, inputRoot: String, outputRoot: String, log: String, extra: [String] = []) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try #require(path, "pipeline-worker is not built next to the tests"))
        p.arguments = ["work", "--queue", queue, "--input-root", inputRoot, "--output-root", outputRoot, "--poll", "0.05"] + extra
        p.environment = ProcessInfo.processInfo.environment.merging(["RELIEF_QUEUE_PROBE": "1"]) { $1 }
        FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        return p
    }
}

/// Polls `condition` every 50 ms until it holds or `seconds` pass; returns whether it held.
func waitUntil(seconds: Double, _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try await condition() { return true }
        try await Task.sleep(nanoseconds: 50_000_000)
    }
    return try await condition()
}

/// Stops worker processes with SIGTERM and waits for them (SIGKILL after 20 s).
func stopWorkers(_ workers: [Process]) {
    for w in workers where w.isRunning { w.terminate() }
    let deadline = Date().addingTimeInterval(20)
    for w in workers {
        while w.isRunning && Date() < deadline { usleep(50_000) }
        if w.isRunning { kill(w.processIdentifier, SIGKILL); w.waitUntilExit() }
    }
}

/// A probe job's payload.
func probePayload(sleepMs: Int = 0, sideEffect: String? = nil, failAttempts: Int = 0, tag: String) -> String {
    JobRequest.probe(ProbeRequest(sleepMilliseconds: sleepMs, sideEffect: sideEffect, failAttempts: failAttempts, tag: tag)).encoded()
}

/// Lines `JOB ATTEMPT` of a side-effect file, counted per job id.
func sideEffects(_ path: String) throws -> [Int64: Int] {
    guard FileManager.default.fileExists(atPath: path) else { return [:] }
    var counts: [Int64: Int] = [:]
    for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") {
        if let id = line.split(separator: " ").first.flatMap({ Int64($0) }) { counts[id, default: 0] += 1 }
    }
    return counts
}

/// Parent of the suites that use the PostgreSQL server or start worker processes: run one test at a
/// time, so that the restart test never cuts another test's connections and processes do not
/// compete for the 2 cores.
@Suite("Queue backends and workers", .serialized)
struct QueueSerialTests {}
