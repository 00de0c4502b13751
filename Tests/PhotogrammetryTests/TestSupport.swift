import Foundation
import Testing

/// The real sample data folder from `RELIEF_SAMPLE_DATA`, nil when unset (tests then skip
/// with a message, through `.enabled(if: SampleData.root != nil, SampleData.skipMessage)`).
/// When it is set but a file is missing, tests fail rather than skip.
enum SampleData {
    static let root: String? = {
        guard let value = ProcessInfo.processInfo.environment["RELIEF_SAMPLE_DATA"], !value.isEmpty else { return nil }
        return value
    }()
    static let skipMessage: Comment = "RELIEF_SAMPLE_DATA is not set: skipping the tests on real imagery"

    /// The absolute path of a file under the sample folder; records a failure when it is missing.
    static func path(_ relative: String) throws -> String {
        let root = try #require(root, "RELIEF_SAMPLE_DATA unset")
        let path = root + "/" + relative
        #expect(FileManager.default.fileExists(atPath: path), "missing sample file \(path)")
        return path
    }
}

/// A fresh folder under the system temporary directory; remove it with `removeFolder`.
func makeTemporaryFolder() throws -> String {
    let path = NSTemporaryDirectory() + "relief-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func removeFolder(_ path: String) { try? FileManager.default.removeItem(atPath: path) }

/// Runs the `dsm-run` executable that `swift build --build-tests` / `swift test` builds next to
/// the test bundle, as a process.
enum DSMRunProcess {
    static var binary: String? {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("dsm-run").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }

    /// Runs `dsm-run arguments` with `stdin` as standard input; stdout and stderr go through
    /// temporary files, so neither can fill a pipe and block the other.
    static func run(_ arguments: [String], stdin: String = "") throws -> (status: Int32, out: String, err: String) {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let files = ["in", "out", "err"].map { folder + "/" + $0 }
        try stdin.write(toFile: files[0], atomically: false, encoding: .utf8)
        for file in files.dropFirst() { FileManager.default.createFile(atPath: file, contents: nil) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(binary, "dsm-run is not built next to the tests"))
        process.arguments = arguments
        process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: files[0]))
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: files[1]))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: files[2]))
        try process.run()
        process.waitUntilExit()
        let out = try String(contentsOfFile: files[1], encoding: .utf8)
        let err = try String(contentsOfFile: files[2], encoding: .utf8)
        return (process.terminationStatus, out, err)
    }
}
