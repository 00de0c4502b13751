import ArgumentParser

/// The queue worker and HTTP front. The queue itself (issue 7) and the HTTP front (issue 8)
/// are not built yet: every subcommand says so and exits with an error.
@main
struct PipelineWorker: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline-worker",
        abstract: "Relief queue worker (not available yet: the queue is built in a later issue)."
    )

    func run() throws {
        throw ValidationError("pipeline-worker has no queue yet; see the README's roadmap")
    }
}
