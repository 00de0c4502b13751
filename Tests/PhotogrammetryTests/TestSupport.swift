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
