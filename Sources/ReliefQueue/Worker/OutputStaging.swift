import Foundation

/// Outputs of an attempt are written into a staging folder under the output root
/// (`.relief-staging/job-ID-attempt-N/`) and moved into the job's output folder only when the
/// whole job succeeded, each file by one `rename`, so a reader sees a complete file or none, and a
/// retried job never leaves two results. Staging folders of earlier (crashed) attempts of the same
/// job are removed when a new attempt starts and after it ends.
public struct OutputStaging: Sendable {
    public let folder: String
    let stagingRoot: String
    let jobID: Int64

    public init(outputRoot: String, jobID: Int64, attempt: Int) throws {
        stagingRoot = outputRoot + "/.relief-staging"
        self.jobID = jobID
        folder = stagingRoot + "/job-\(jobID)-attempt-\(attempt)"
        removeLeftovers()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    /// Deletes every staging folder of this job (earlier attempts, or this one once published).
    public func removeLeftovers() {
        let prefix = "job-\(jobID)-attempt-"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: stagingRoot)) ?? [] where name.hasPrefix(prefix) {
            try? FileManager.default.removeItem(atPath: stagingRoot + "/" + name)
        }
    }

    /// Moves the named files from staging into `destination` (created if needed), replacing
    /// earlier copies, then removes the staging folder. Returns the final paths.
    public func publish(_ names: [String], to destination: String) throws -> [String] {
        try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: true)
        var out: [String] = []
        for name in names {
            let from = folder + "/" + name, to = destination + "/" + name
            guard rename(from, to) == 0 else {
                throw JobFailure.transient("cannot move \(from) to \(to): \(String(cString: strerror(errno)))")
            }
            out.append(to)
        }
        removeLeftovers()
        return out
    }
}
