import Foundation

/// Removes the shared tile folders (`OUTPUT_ROOT/.relief-staging/fanout-<id>`) of fanned-out jobs
/// that ended without a merge (a tile failed for good, or the job was cancelled) or whose worker
/// died between the merge and its cleanup. `pipeline-worker work` sweeps once a minute.
/// One output root per queue: the folders are named by job id.
public enum FanOutJanitor {
    /// Removes the folders whose job is final or unknown; keeps those of live jobs, and all when
    /// the queue cannot be read. Returns the folders removed.
    @discardableResult
    public static func sweep(queue: any JobQueue, outputRoot: String) async -> [String] {
        let root = outputRoot + "/.relief-staging"
        var removed: [String] = []
        for name in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] where name.hasPrefix("fanout-") {
            guard let id = Int64(name.dropFirst("fanout-".count)) else { continue }
            let job: Job?
            do { job = try await queue.job(id: id) } catch { continue }  // the queue cannot be read: keep
            if let job, !job.state.isFinal { continue }
            try? FileManager.default.removeItem(atPath: root + "/" + name)
            removed.append(name)
        }
        return removed
    }
}
