import ArgumentParser
import Foundation
import ReliefQueue

/// The queue worker and its client commands (issue 7). The HTTP front is issue 8.
@main
struct PipelineWorker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline-worker",
        abstract: "Relief job queue: run workers, submit DSM and PWH requests, follow and cancel jobs.",
        discussion: """
            The queue is a folder holding an SQLite database (default ./relief-queue, or $RELIEF_QUEUE), or a \
            PostgreSQL database (--queue postgres://USER@HOST:PORT/DB) shared by workers on many machines.
            """,
        subcommands: [WorkCommand.self, SubmitCommand.self, StatusCommand.self, CancelCommand.self, ListCommand.self,
                      ServeCommand.self, UsersCommand.self, EntitiesCommand.self]
    )
}

/// `--queue`, shared by every subcommand.
struct QueueOptions: ParsableArguments {
    @Option(help: "Queue: a folder (SQLite) or postgres://USER@HOST:PORT/DB (default $RELIEF_QUEUE or ./relief-queue).")
    var queue: String = ProcessInfo.processInfo.environment["RELIEF_QUEUE"] ?? "relief-queue"

    @Option(help: ArgumentHelp("Base back-off after a failed attempt, seconds (doubles each attempt).", visibility: .hidden))
    var backoff: Double = 2

    func open() async throws -> any JobQueue {
        try await openQueue(queue, policy: QueuePolicy(baseBackoff: backoff))
    }
}

/// Where requests may read and write.
struct RootOptions: ParsableArguments {
    @Option(name: .customLong("input-root"), help: "Folder requests may read from (repeatable).")
    var inputRoots: [String] = []

    @Option(help: "Folder requests write under.")
    var outputRoot: String

    func confinement() throws -> PathConfinement {
        guard !inputRoots.isEmpty else { throw ValidationError("give at least one --input-root") }
        do { return try PathConfinement(inputRoots: inputRoots, outputRoot: outputRoot) } catch {
            throw ValidationError("\(error)")
        }
    }
}

/// A job as JSON (status, submit, list).
func jobJSON(_ job: Job) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try! encoder.encode(job), as: UTF8.self)
}
