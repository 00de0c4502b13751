import Foundation
import Logging
import Photogrammetry
import Raster
import Testing
@testable import ReliefQueue

/// Input errors fail a job at once; only errors of the machine are retried.
@Suite("Permanent and transient failures")
struct FailureKindTests {
    static let testdata: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("testdata").path

    @Test func inputErrorsArePermanentMachineErrorsTransient() {
        func permanent(_ e: any Error) -> Bool { if case .permanent = FailureKind.classify(e) { true } else { false } }
        func transient(_ e: any Error) -> Bool { if case .transient = FailureKind.classify(e) { true } else { false } }
        #expect(permanent(GeometryError.notEnoughImages(1)))
        #expect(permanent(RPCError.noRPC(source: "a.tif")))
        #expect(permanent(DSMPipelineError.noPoints(roi: Window(x: 0, y: 0, width: 8, height: 8))))
        #expect(permanent(DSMPipelineError.invalidConfiguration("memory")))
        #expect(permanent(RasterError(.openFailed, path: "a.tif")))
        #expect(permanent(RequestError.invalid(field: "roi", "bad")))
        #expect(transient(RasterError(.readFailed, path: "a.tif")))
        #expect(transient(RasterError(.writeFailed, path: "out.tif")))
        #expect(transient(DSMPipelineError.tilesFailed([])))
        #expect(transient(CocoaError(.fileWriteOutOfSpace)))
        if case .cancelled = FailureKind.classify(DSMPipelineError.cancelled(tilesDone: 1, tilesTotal: 2)) {} else {
            Issue.record("a cancelled pipeline is a cancellation")
        }
    }

    /// A DSM whose height (5000 ± 10 m; the synthetic terrain is at 316-362 m) makes the two
    /// footprints miss each other can never succeed: failed after its first attempt of 3, with
    /// the geometry's message, not retried with back-off.
    @Test func aRequestThatCannotSucceedFailsAtOnce() async throws {
        let base = try makeTemporaryFolder()
        defer { removeFolder(base) }
        let out = base + "/out"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let queue = try SQLiteJobQueue(folder: base + "/queue", policy: QueuePolicy(baseBackoff: 0.05))
        let request = DSMRequest(images: [.init(path: Self.testdata + "/stereo_left.tif"), .init(path: Self.testdata + "/stereo_right.tif")],
                                 roi: [64, 64, 64, 64], resolution: 1, height: .init(value: 5000, margin: 10), output: "never")
        let (job, _) = try await queue.submit(NewJob(kind: "dsm", payload: JobRequest.dsm(request).encoded(), maxAttempts: 3))
        let confinement = try PathConfinement(inputRoots: [Self.testdata], outputRoot: out)
        var options = WorkerOptions()
        options.pollSeconds = 0.05
        let worker = Worker(queue: queue, runner: StandardJobRunner(confinement: confinement, threads: 1), options: options,
                            logger: Logger(label: "test"))
        let task = Task { await worker.run() }
        let done = try await waitUntil(seconds: 60) { try await queue.job(id: job.id)?.state.isFinal ?? false }
        worker.stop()
        await task.value
        #expect(done, "the job did not finish")
        let final = try #require(try await queue.job(id: job.id))
        #expect(final.state == .failed)
        #expect(final.attempts == 1, "retried \(final.attempts - 1) time(s): \(final.lastError ?? "")")
        #expect(final.lastError?.isEmpty == false)
        await queue.shutdown()
    }
}

/// The worker's memory budget reaches every DSM job, divided by the jobs run at once.
@Suite("Worker memory per job")
struct WorkerMemoryTests {
    @Test func theBudgetIsTheJobsMemoryLimit() throws {
        let base = try makeTemporaryFolder()
        defer { removeFolder(base) }
        let confinement = try PathConfinement(inputRoots: [FailureKindTests.testdata], outputRoot: base)
        let request = DSMRequest(images: [.init(path: FailureKindTests.testdata + "/stereo_left.tif"), .init(path: FailureKindTests.testdata + "/stereo_right.tif")],
                                 height: .init(value: 340, margin: 40), output: "x")
        let given = StandardJobRunner(confinement: confinement, memoryPerJob: 700 << 20)
        #expect(try given.dsmConfiguration(request, output: base + "/dsm.tif").memoryLimit == 700 << 20)
        let defaulted = StandardJobRunner(confinement: confinement)
        #expect(try defaulted.dsmConfiguration(request, output: base + "/dsm.tif").memoryLimit == DSMConfiguration(
            reference: "a", secondary: "b", heights: .range(try HeightRange.given(340, margin: 40)), output: "o").memoryLimit)
    }
}
