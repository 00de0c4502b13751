import ArgumentParser
import Foundation
import ReliefQueue

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Print a job as JSON (state, attempts, progress, last error, result).")
    @OptionGroup var queueOptions: QueueOptions
    @Argument var id: Int64

    func run() async throws {
        let queue = try await queueOptions.open()
        let job = try await queue.job(id: id)
        let children = job == nil ? [] : try await queue.children(of: id)
        await queue.shutdown()
        guard let job else { throw ValidationError("no job \(id)") }
        print(children.isEmpty ? jobJSON(job) : fanOutJSON(job, children: children))
    }
}

struct CancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cancel", abstract: "Cancel a queued job, or ask a running one to stop (within a heartbeat).")
    @OptionGroup var queueOptions: QueueOptions
    @Argument var id: Int64

    func run() async throws {
        let queue = try await queueOptions.open()
        do {
            let job = try await queue.cancel(id: id)
            await queue.shutdown()
            print(jobJSON(job))
        } catch {
            await queue.shutdown()
            throw ValidationError("\(error)")
        }
    }
}

struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List jobs, newest first: id, state, kind, attempts, progress.")
    @OptionGroup var queueOptions: QueueOptions
    @Option(help: "Only jobs in this state: queued, running, waiting (a fanned-out DSM waiting for its tiles), succeeded, failed, cancelled.") var state: String?
    @Option(help: "At most this many (default 100).") var limit: Int = 100

    func validate() throws {
        if let state, JobState(rawValue: state) == nil { throw ValidationError("unknown state '\(state)'") }
    }

    func run() async throws {
        let queue = try await queueOptions.open()
        let jobs = try await queue.list(state: state.flatMap(JobState.init(rawValue:)), limit: limit)
        let counts = try await queue.counts()
        await queue.shutdown()
        for j in jobs {
            print(String(format: "%6lld  %-9@  %-5@  p%-3d  attempt %d/%d  %5.1f%%  %@", j.id, j.state.rawValue, j.kind, j.priority,
                         j.attempts, j.maxAttempts, j.progress, j.lastError ?? j.step ?? ""))
        }
        print(JobState.allCases.map { "\($0.rawValue) \(counts[$0] ?? 0)" }.joined(separator: ", "))
    }
}

/// A fanned-out job's JSON with its children's summary: `"children": {"states": {state: count},
/// "tiles": [{"tile", "id", "state", "attempts", "progress", "worker" (lease owner), "error"}]}`.
func fanOutJSON(_ job: Job, children: [Job]) -> String {
    var object = (try? JSONSerialization.jsonObject(with: Data(jobJSON(job).utf8))) as? [String: Any] ?? [:]
    var states: [String: Int] = [:]
    for c in children { states[c.state.rawValue, default: 0] += 1 }
    object["children"] = [
        "states": states,
        "tiles": children.enumerated().map { k, c -> [String: Any] in
            var t: [String: Any] = ["tile": k, "id": c.id, "state": c.state.rawValue, "attempts": c.attempts, "progress": c.progress]
            // The worker holding a running tile, or the one that ran a finished tile (its result names it).
            let result = c.result.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            if let o = c.leaseOwner ?? result?["worker"] as? String { t["worker"] = o }
            if let e = c.lastError { t["error"] = e }
            return t
        },
    ]
    let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
    return String(decoding: data, as: UTF8.self)
}
