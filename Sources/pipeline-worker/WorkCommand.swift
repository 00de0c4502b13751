import ArgumentParser
import Foundation
import Logging
import Metrics
import Photogrammetry
import Prometheus
import ReliefQueue

/// `pipeline-worker work`: claims and runs jobs until SIGTERM / SIGINT.
struct WorkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "work",
        abstract: "Run jobs from the queue until SIGTERM or SIGINT (then finish or give back the running ones).")

    @OptionGroup var queueOptions: QueueOptions
    @OptionGroup var roots: RootOptions

    @Option(help: "Jobs run at once (default 1).")
    var concurrency: Int = 1

    @Option(help: "Tiles of one DSM processed at once (default: the number of cores).")
    var threads: Int?

    @Option(help: "Memory the worker's jobs may use together, e.g. 6G or 800M (default: three quarters of the machine's); each job gets it divided by --concurrency.")
    var memory: String?

    @Option(help: "Lease in seconds: a job whose worker stops heartbeating is run again after this (default 30).")
    var lease: Double = 30

    @Option(help: ArgumentHelp("Seconds between heartbeats: progress written back, cancellation seen (default min(lease / 3, 2)).", visibility: .hidden))
    var heartbeat: Double?

    @Option(help: ArgumentHelp("Seconds between claims when the queue is empty.", visibility: .hidden))
    var poll: Double = 0.5

    @Option(help: ArgumentHelp(
        "A DSM job matching more reference pixels than this (N or WxH, default 4096x4096; 0: never) fans out into tile jobs any worker takes, then a merge. All workers of a queue must use the same value and share the output root.",
        valueName: "pixels"))
    var splitAbove: String = "4096x4096"

    /// `--split-above` in pixels, nil for never.
    var splitAbovePixels: Int? {
        let n = parsePixelCount(splitAbove) ?? 0
        return n > 0 ? n : nil
    }

    @Option(help: "Serve Prometheus metrics on http://0.0.0.0:PORT/metrics.")
    var metricsPort: Int?

    @Option(help: "Log level: trace, debug, info (default), notice, warning, error.")
    var logLevel: String = "info"

    func validate() throws {
        guard concurrency >= 1, concurrency <= 256 else { throw ValidationError("--concurrency must be in 1...256") }
        guard lease >= 1 else { throw ValidationError("--lease must be at least 1 second") }
        if let heartbeat { guard heartbeat > 0, heartbeat < lease else { throw ValidationError("--heartbeat must be in (0, lease)") } }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level '\(logLevel)'") }
        if let memory {
            guard let bytes = parseMemorySize(memory) else { throw ValidationError("--memory must be a size such as 6G or 800M, got '\(memory)'") }
            guard bytes / concurrency >= minimumJobMemory else {
                throw ValidationError("--memory \(memory) leaves \(bytes / concurrency / 1_048_576) MiB to each of \(concurrency) jobs: at least \(minimumJobMemory / 1_048_576) MiB each")
            }
        }
        guard parsePixelCount(splitAbove) != nil else { throw ValidationError("--split-above must be a pixel count N or WxH, got '\(splitAbove)'") }
        if let metricsPort { guard (1...65535).contains(metricsPort) else { throw ValidationError("--metrics-port must be in 1...65535") } }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel)!
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
        let registry = PrometheusCollectorRegistry()
        if metricsPort != nil { MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry)) }
        let logger = Logger(label: "relief.worker")
        let confinement = try roots.confinement()
        let queue = try await queueOptions.open()
        var options = WorkerOptions()
        options.concurrency = concurrency
        options.leaseSeconds = lease
        options.heartbeatSeconds = heartbeat ?? min(lease / 3, 2)
        options.pollSeconds = poll
        let perJob = jobMemory(memory.flatMap(parseMemorySize), concurrency: concurrency)
        // GDAL's block cache is the process's, shared by its jobs: capped within one job's share.
        DSMPipeline.boundBlockCache(budget: perJob)
        let worker = Worker(queue: queue, runner: StandardJobRunner(confinement: confinement, threads: threads, splitAbove: splitAbovePixels,
                                                                      memoryPerJob: perJob),
                            options: options, logger: logger)
        let signals = SignalWatcher(worker: worker)
        var server: MetricsServer?
        var gaugeTask: Task<Void, Never>?
        if let metricsPort {
            server = try MetricsServer(port: metricsPort, registry: registry)
            logger.info("metrics on http://0.0.0.0:\(metricsPort)/metrics")
            gaugeTask = Task { await QueueGauges.update(queue: queue, logger: logger) }
        }
        // Tile folders of fanned-out jobs that ended without a merge (see `FanOutJanitor`).
        let janitor = Task {
            while !Task.isCancelled {
                let removed = await FanOutJanitor.sweep(queue: queue, outputRoot: confinement.outputRoot)
                if !removed.isEmpty { logger.info("removed tile folders of finished jobs", metadata: ["folders": "\(removed)"]) }
                try? await Task.sleep(nanoseconds: 60_000_000_000)
            }
        }
        await worker.run()
        janitor.cancel()
        gaugeTask?.cancel()
        server?.stop()
        withExtendedLifetime(signals) {}
        await queue.shutdown()
    }
}

/// SIGTERM / SIGINT: the first asks the worker to stop, a second exits at once.
final class SignalWatcher {
    private let sources: [any DispatchSourceSignal]

    init(worker: Worker) {
        sources = [SIGTERM, SIGINT].map { sig in
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler {
                if worker.isStopping { exit(130) }
                worker.stop()
            }
            s.resume()
            return s
        }
    }
}

/// Queue depth by state, every 5 s, as the gauge `relief_jobs{state=...}`.
enum QueueGauges {
    static func update(queue: any JobQueue, logger: Logger) async {
        while !Task.isCancelled {
            do {
                let counts = try await queue.counts()
                for state in JobState.allCases {
                    Gauge(label: "relief_jobs", dimensions: [("state", state.rawValue)]).record(counts[state] ?? 0)
                }
            } catch {
                logger.debug("queue counts failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(nanoseconds: 5_000_000_000)
        }
    }
}

/// A pixel count written N or WxH (non-negative); nil when malformed.
func parsePixelCount(_ text: String) -> Int? {
    let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
    guard (1...2).contains(parts.count), parts.allSatisfy({ $0 != nil && $0! >= 0 }) else { return nil }
    let (n, overflow) = parts.count == 1 ? (parts[0]!, false) : parts[0]!.multipliedReportingOverflow(by: parts[1]!)
    return overflow ? nil : n
}

/// Smallest memory a job may be given: the pipeline's baseline (process, GDAL cache, models)
/// and one smallest tile with a modest disparity range.
let minimumJobMemory = 256 * 1_048_576

/// Each job's share of the worker's memory: `total` (default: three quarters of the machine's
/// physical memory, leaving the rest to the system and GDAL's cache) divided by the jobs run at
/// once, so that `concurrency` jobs together stay within it.
func jobMemory(_ total: Int?, concurrency: Int) -> Int {
    let machine = Int(min(ProcessInfo.processInfo.physicalMemory / 4 * 3, UInt64(Int.max)))
    return max(minimumJobMemory, (total ?? machine) / max(1, concurrency))
}
