import Foundation
import ReliefQueue

/// OGC job status of a queue state: a cancel request on a running job reads as dismissed at once.
func ogcStatus(_ job: Job) -> String {
    switch job.state {
    case .queued: job.cancelRequested ? "dismissed" : "accepted"
    case .running: job.cancelRequested ? "dismissed" : "running"
    // Fanned out (a large DSM): its tiles run as child jobs; the step says how many are done.
    case .waiting: "running"
    case .succeeded: "successful"
    case .failed: "failed"
    case .cancelled: "dismissed"
    }
}

/// The OGC statusInfo document of a job.
/// Messages come from the worker: `text` removes the server's paths and flags from them.
func statusInfo(_ job: Job, owner: JobOwnership, base: String, text: ClientText) -> StatusInfo {
    let status = ogcStatus(job)
    let message = switch status {
    case "failed": text.scrub(job.lastError ?? "failed")
    case "running": job.step ?? "running"
    case "accepted": job.attempts > 0 ? "waiting to retry after attempt \(job.attempts): " + text.scrub(job.lastError ?? "") : "queued"
    case "dismissed": job.state == .cancelled ? "dismissed" : "dismissed; the worker stops at its next heartbeat"
    default: "done"
    }
    var links = [OGCLink(href: "\(base)/jobs/\(job.id)", rel: "self", type: "application/json", title: "status")]
    if job.state == .succeeded {
        links.append(OGCLink(href: "\(base)/jobs/\(job.id)/results", rel: "http://www.opengis.net/def/rel/ogc/1.0/results", type: "application/json", title: "results"))
        links.append(OGCLink(href: "\(base)/jobs/\(job.id)/stac", rel: "alternate", type: "application/geo+json", title: "STAC Item"))
    }
    return StatusInfo(jobID: "\(job.id)", processID: owner.process, status: status, message: message, progress: Int(job.progress.rounded()),
                      created: iso8601(job.createdAt), updated: iso8601(job.updatedAt), finished: job.finishedAt.map(iso8601),
                      areaKm2: (owner.areaKm2 * 1000).rounded() / 1000, owner: owner.user, links: links)
}

/// The output files of a succeeded job (`{"outputs": [paths]}` written by the worker).
func outputFiles(_ job: Job) -> [(name: String, path: String)] {
    guard let text = job.result, let obj = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
          let paths = obj["outputs"] as? [String] else { return [] }
    return paths.map { (($0 as NSString).lastPathComponent, $0) }
}
