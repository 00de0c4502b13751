import Foundation
import ReliefQueue
import Testing

/// The queue backends the server's tests run on. PostgreSQL needs `RELIEF_TEST_POSTGRES_URL`
/// (e.g. postgres://postgres@127.0.0.1:54329/postgres, trust auth; `.ci/run` sets it): without
/// it, those tests say they are skipped and pass.
enum StoreBackend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgres
    var testDescription: String { rawValue }

    static let postgresURL: String? = ProcessInfo.processInfo.environment["RELIEF_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }

    var isAvailable: Bool {
        if self == .postgres, Self.postgresURL == nil {
            print("note: RELIEF_TEST_POSTGRES_URL is not set: skipping the PostgreSQL case")
            return false
        }
        return true
    }
}

/// A new empty PostgreSQL database on the test server (dropped by `drop`).
struct TestPostgresDatabase: Sendable {
    let url: String

    init() throws {
        let base = try #require(StoreBackend.postgresURL, "RELIEF_TEST_POSTGRES_URL unset")
        let name = "relief_http_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        try Self.psql(base, "CREATE DATABASE \(name)")
        var c = try #require(URLComponents(string: base))
        c.path = "/" + name
        url = c.string!
    }

    func drop() {
        guard let base = StoreBackend.postgresURL, let name = URLComponents(string: url)?.path.dropFirst() else { return }
        try? Self.psql(base, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    /// Runs one SQL command through `psql`; throws with its error output when it fails.
    @discardableResult
    static func psql(_ url: String, _ sql: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        p.arguments = [url, "-v", "ON_ERROR_STOP=1", "-q", "-t", "-A", "-c", sql]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let errText = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "psql: \(errText)"]) }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
