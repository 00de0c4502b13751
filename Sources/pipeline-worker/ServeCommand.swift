import ArgumentParser
import Foundation
import Logging
import ReliefQueue
import ReliefServer

/// `pipeline-worker serve`: the OGC API - Processes front (issue 8).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve OGC API - Processes over the queue (accounts, quotas in km², results with range requests, STAC Items).")

    @OptionGroup var queueOptions: QueueOptions
    @Option(help: "Address to listen on (default 127.0.0.1).") var host = "127.0.0.1"
    @Option(help: "Port (default 8080; 0: any free port).") var port = 8080
    @Option(help: "Folder of catalogue products (one sub-folder per identifier).") var catalogueRoot: String
    @Option(name: .customLong("data-root"), help: "Folder the catalogue's symlinks may lead to, images stored outside the catalogue (repeatable; give it to the workers as --input-root too).")
    var dataRoots: [String] = []
    @Option(help: "Folder products are written under.") var outputRoot: String
    @Option(help: "Base URL of links in responses (default: http:// + the request's Host).") var publicURL: String?
    @Option(help: "Largest request body in bytes (default 65536).") var maxBody = 64 * 1024
    @Option(help: "Requests per token per minute (default 600).") var rateLimit = 600
    @Option(help: "Reads of output files per token per minute, counted apart from other requests (default 12000).") var fileRateLimit = 12_000
    @Option(name: .customLong("cors-origin"), help: "Origin allowed to call the API from a browser page, e.g. https://portal.example.org (repeatable; * for any).")
    var corsOrigins: [String] = []
    @Option(help: "Seconds an idle connection is kept (default 60).") var idleTimeout = 60
    @Option(help: "Largest DSM a request may ask for, cells (default 400000000).") var maxOutputCells = AdmissionLimits().maxOutputCells
    @Option(help: "Largest heightMargin a request may give, metres (default 1000).") var maxHeightMargin = AdmissionLimits().maxHeightMargin
    @Option(help: "Longest disparity search a request may make, pixels (default 1024).") var maxDisparity = AdmissionLimits().maxDisparityPixels
    @Option(help: "Workers run in this process (default 0: run `pipeline-worker work` separately).") var workers = 0
    @Option(help: "Log level (default info).") var logLevel = "info"

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535") }
        guard maxBody >= 1024 else { throw ValidationError("--max-body must be at least 1024 bytes") }
        guard rateLimit >= 1, fileRateLimit >= 1 else { throw ValidationError("--rate-limit and --file-rate-limit must be at least 1") }
        guard maxOutputCells >= 1, maxHeightMargin >= 0, maxDisparity >= 1 else {
            throw ValidationError("--max-output-cells and --max-disparity must be at least 1, --max-height-margin at least 0")
        }
        guard (0...64).contains(workers) else { throw ValidationError("--workers must be in 0...64") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level '\(logLevel)'") }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel)!
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
        let queue = try await queueOptions.open()
        let accounts: any AccountStore
        do { accounts = try await openAccountStore(queue: queue) } catch let e as AccountError { throw ValidationError("\(e)") }
        var config = ServerConfiguration(catalogueRoot: catalogueRoot, outputRoot: outputRoot)
        config.host = host
        config.dataRoots = dataRoots
        config.admission.maxOutputCells = maxOutputCells
        config.admission.maxHeightMargin = maxHeightMargin
        config.admission.maxDisparityPixels = maxDisparity
        config.port = port
        config.publicURL = publicURL
        config.maxBodyBytes = maxBody
        config.requestsPerMinute = rateLimit
        config.fileReadsPerMinute = fileRateLimit
        config.corsOrigins = corsOrigins
        config.idleTimeoutSeconds = idleTimeout
        let api: ProcessesAPI
        do { api = try ProcessesAPI(queue: queue, accounts: accounts, config: config) } catch let e as APIError {
            throw ValidationError(e.detail)
        }
        var worker: Worker?
        if workers > 0 {
            let confinement = try PathConfinement(inputRoots: [catalogueRoot] + dataRoots, outputRoot: outputRoot)
            var options = WorkerOptions()
            options.concurrency = workers
            worker = Worker(queue: queue, runner: StandardJobRunner(confinement: confinement, memoryPerJob: jobMemory(nil, concurrency: workers)),
                            options: options)
        }
        let workerTask = worker.map { w in Task { await w.run() } }
        let host = config.host
        try await runServer(api: api) { port in
            // One line on stdout that scripts wait for (unbuffered).
            FileHandle.standardOutput.write(Data("listening on http://\(host):\(port)\n".utf8))
        }
        worker?.stop()
        await workerTask?.value
        await queue.shutdown()
    }
}
