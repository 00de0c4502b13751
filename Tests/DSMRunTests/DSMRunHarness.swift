import Foundation
import Raster
import Testing

/// Runs the `dsm-run` executable built next to the test bundle, in a fresh output folder, and
/// reports what it did to that folder.
enum DSMRun {
    /// `dsm-run` beside the test bundle (`swift build --build-tests` puts both in the build
    /// folder), nil when it is not built; `DSMRUN_BINARY` names another one (e.g. an older build,
    /// to count how it fares on the corpus).
    static let binary: String? = {
        if let other = ProcessInfo.processInfo.environment["DSMRUN_BINARY"], !other.isEmpty { return other }
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("dsm-run").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }()

    /// How the child's stderr is connected.
    enum Stderr: Sendable { case file, closed, full }

    struct Result {
        var status: Int32
        var signalled: Bool
        var out: String
        var err: String
        var text: String { out + err }
    }

    /// Runs `dsm-run arguments` with `stdin`; stdout and stderr go to files (or stderr is closed
    /// or /dev/full, through /bin/sh). `started` runs once the process is running (to signal it).
    static func run(_ arguments: [String], stdin: String = "", stderr: Stderr = .file, in scratch: String,
                    started: ((Process) -> Void)? = nil) throws -> Result {
        let binary = try #require(binary, "dsm-run is not built next to the tests (swift build --build-tests)")
        let files = ["in", "out", "err"].map { scratch + "/std" + $0 }
        try stdin.write(toFile: files[0], atomically: false, encoding: .utf8)
        for file in files.dropFirst() { FileManager.default.createFile(atPath: file, contents: nil) }
        let process = Process()
        switch stderr {
        case .file:
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = arguments
        case .closed, .full:
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            let redirect = stderr == .closed ? "2>&-" : "2>/dev/full"
            process.arguments = ["-c", "exec \"$0\" \"$@\" \(redirect)", binary] + arguments
        }
        process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: files[0]))
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: files[1]))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: files[2]))
        try process.run()
        started?(process)
        process.waitUntilExit()
        return Result(status: process.terminationStatus, signalled: process.terminationReason == .uncaughtSignal,
                      out: (try? String(contentsOfFile: files[1], encoding: .utf8)) ?? "",
                      err: (try? String(contentsOfFile: files[2], encoding: .utf8)) ?? "")
    }
}

/// A fresh folder under the system temporary directory.
func makeTemporaryFolder(_ name: String = "dsmrun") throws -> String {
    let path = NSTemporaryDirectory() + "relief-\(name)-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Every entry under `folder` (relative paths, hidden ones included) with its size and
/// modification time, to tell what a run added, removed or changed.
func snapshot(_ folder: String) -> [String: String] {
    var result: [String: String] = [:]
    guard let walker = FileManager.default.enumerator(atPath: folder) else { return result }
    while let entry = walker.nextObject() as? String {
        let attributes = (try? FileManager.default.attributesOfItem(atPath: folder + "/" + entry)) ?? [:]
        let size = (attributes[.size] as? NSNumber)?.intValue ?? -1
        let date = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        result[entry] = "\(size) \(date)"
    }
    return result
}

/// The sample data folder (`RELIEF_SAMPLE_DATA`), nil when unset: the cases on it then skip.
enum SampleData {
    static let root: String? = {
        guard let value = ProcessInfo.processInfo.environment["RELIEF_SAMPLE_DATA"], !value.isEmpty else { return nil }
        return value
    }()
    static let skipMessage: Comment = "RELIEF_SAMPLE_DATA is not set: skipping the bad-input cases on real imagery"
}
