import ArgumentParser
import Foundation
import ReliefQueue

/// `pipeline-worker submit dsm|pwh|request ...`: validates a request, then queues it (once: the
/// same request again returns the same job).
struct SubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit", abstract: "Validate a request and queue it; prints the job as JSON.",
        subcommands: [SubmitDSM.self, SubmitPWH.self, SubmitRequest.self, SubmitProbe.self])
}

/// Options of every submission.
struct JobOptions: ParsableArguments {
    @Option(help: "Priority: higher runs first (interactive 10, batch 0; default 0).")
    var priority: Int = 0

    @Option(help: "Attempts before the job is failed (default 5).")
    var maxAttempts: Int = 5

    @Option(help: "Idempotency key (default: a digest of the validated request).")
    var key: String?

    func validate() throws {
        guard maxAttempts >= 1, maxAttempts <= 100 else { throw ValidationError("--max-attempts must be in 1...100") }
    }
}

/// Validates against the roots, queues, prints `{"created": ..., "job": {...}}`.
func submit(_ request: JobRequest, queueOptions: QueueOptions, roots: RootOptions, job: JobOptions) async throws {
    let validated: JobRequest
    do { validated = try request.validate(confinement: try roots.confinement()).request } catch let e as RequestError {
        throw ValidationError("request rejected: \(e)")
    }
    let queue = try await queueOptions.open()
    defer { Task { await queue.shutdown() } }
    let (j, created) = try await queue.submit(NewJob(kind: validated.kind, payload: validated.encoded(), priority: job.priority,
                                                     maxAttempts: job.maxAttempts, idempotencyKey: job.key ?? validated.idempotencyKey))
    print(#"{"created":\#(created),"job":\#(jobJSON(j))}"#)
    await queue.shutdown()
}

/// A command-line path made absolute against the current folder (requests hold absolute paths).
func absolute(_ path: String) -> String {
    path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
}

struct SubmitDSM: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dsm", abstract: "Queue the DSM of a stereo pair (as dsm-run dsm).")
    @OptionGroup var queueOptions: QueueOptions
    @OptionGroup var roots: RootOptions
    @OptionGroup var job: JobOptions
    @Argument(help: "Reference image.") var image1: String
    @Argument(help: "Secondary image.") var image2: String
    @Option var rpc1: String?
    @Option var rpc2: String?
    @Option(help: "COL,ROW,WIDTH,HEIGHT in the reference image.") var roi: String?
    @Option(help: "DSM cell size in metres (default 0.5).") var resolution: Double = 0.5
    @Option(help: "Terrain height (WGS84 ellipsoid), metres; optional: measured from the images when absent.") var height: Double?
    @Option(help: "Margin around --height (default 100 m).") var heightMargin: Double = 100
    @Option(help: "DEM giving the height range.") var dem: String?
    @Option(help: "EGM96 geoid grid.") var geoid: String?
    @Option(help: "ellipsoid (default) or egm96.") var datum: String?
    @Option(help: "Output folder relative to the output root (default dsm-<digest>).") var output: String?
    @Option(help: "Tile side in pixels (default 300).") var tile: Int?

    func run() async throws {
        let roiValues: [Int]? = try roi.map { text in
            let v = text.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard v.count == 4 else { throw ValidationError("--roi must be COL,ROW,WIDTH,HEIGHT, got '\(text)'") }
            return v
        }
        let r = DSMRequest(images: [.init(path: absolute(image1), rpc: rpc1.map(absolute)), .init(path: absolute(image2), rpc: rpc2.map(absolute))],
                           roi: roiValues, resolution: resolution,
                           height: height.map { .init(value: $0, margin: heightMargin) },
                           dem: dem.map { .init(path: absolute($0), geoid: geoid.map(absolute)) },
                           datum: datum, geoid: dem == nil ? geoid.map(absolute) : nil, output: output, tile: tile)
        try await submit(.dsm(r), queueOptions: queueOptions, roots: roots, job: job)
    }
}

struct SubmitPWH: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pwh", abstract: "Queue a PWH product: reflectance, pan-sharpening, ortho on the DEM, COG + STAC Item.")
    @OptionGroup var queueOptions: QueueOptions
    @OptionGroup var roots: RootOptions
    @OptionGroup var job: JobOptions
    @Argument(help: "Pléiades / SPOT product folder (DIMAP files and images).") var product: String
    @Option(help: "Comma-separated outputs: ortho, stac.") var outputs: String = "ortho,stac"
    @Option(help: "DEM or DSM for the orthorectification (none: the RPC's height offset).") var dem: String?
    @Option(help: "Geoid grid when the DEM's heights are above the geoid (SRTM: EGM96).") var geoid: String?
    @Option(help: "Output folder relative to the output root.") var output: String?

    func run() async throws {
        let r = PWHRequest(product: absolute(product), outputs: outputs.split(separator: ",").map(String.init),
                           dem: dem.map(absolute), geoid: geoid.map(absolute), output: output)
        try await submit(.pwh(r), queueOptions: queueOptions, roots: roots, job: job)
    }
}

struct SubmitRequest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "request", abstract: "Queue a JSON request read from FILE ('-': stdin).")
    @OptionGroup var queueOptions: QueueOptions
    @OptionGroup var roots: RootOptions
    @OptionGroup var job: JobOptions
    @Argument var file: String

    func run() async throws {
        let data = file == "-" ? FileHandle.standardInput.readDataToEndOfFile() : try Data(contentsOf: URL(fileURLWithPath: file))
        // Tile jobs carry a layout and a staging folder that only the splitting worker can vouch for.
        if let envelope = try? JSONSerialization.jsonObject(with: data) as? [String: Any], envelope["kind"] as? String == "dsm-tile" {
            throw ValidationError("request rejected: dsm-tile jobs are made by a worker when it splits a dsm job (--split-above), not submitted")
        }
        let request: JobRequest
        do { request = try JobRequest.decode(String(decoding: data, as: UTF8.self)) } catch {
            throw ValidationError("request rejected: \(error)")
        }
        try await submit(request, queueOptions: queueOptions, roots: roots, job: job)
    }
}

/// Test-only (needs RELIEF_QUEUE_PROBE=1): sleeps, appends a line to a side-effect file, may fail.
struct SubmitProbe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "probe", shouldDisplay: false)
    @OptionGroup var queueOptions: QueueOptions
    @OptionGroup var roots: RootOptions
    @OptionGroup var job: JobOptions
    @Option var sleepMs: Int = 0
    @Option var sideEffect: String?
    @Option var failAttempts: Int = 0
    @Option var tag: String = ""

    func run() async throws {
        try await submit(.probe(ProbeRequest(sleepMilliseconds: sleepMs, sideEffect: sideEffect, failAttempts: failAttempts, tag: tag)),
                         queueOptions: queueOptions, roots: roots, job: job)
    }
}
