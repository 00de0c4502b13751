import Foundation
import Testing
import ReliefQueue

/// A `pwh` job run by a worker process on a stand-in product folder (links to the Ventoux PAN and
/// MS crops with their OSSIM .geom models, laid out as a provider's DIMAP product).
@Suite("pipeline-worker: PWH jobs")
struct WorkerPWHTests {
    static let sample: String? = {
        guard let v = ProcessInfo.processInfo.environment["RELIEF_SAMPLE_DATA"], !v.isEmpty else { return nil }
        return v
    }()

    @Test("A pwh job: the ortho COG and its STAC Item published in the job's folder, nothing staged left",
          .enabled(if: sample != nil, "RELIEF_SAMPLE_DATA is not set: skipping the PWH job on real imagery"))
    func pwhJob() async throws {
        let root = try #require(Self.sample)
        let base = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: base) }
        let queue = base + "/queue", input = base + "/in", out = base + "/out", fm = FileManager.default
        try fm.createDirectory(atPath: out, withIntermediateDirectories: true)
        let product = input + "/PROD_SPOT_PHR_001", scene = "PHR1B_%@_201308051042194_SEN_690908101-001"
        let crops = root + "/cars_phr_ventoux/"
        for (kind, image, geom) in [("P", "image/phr_ventoux/left_image.tif", "rpc/phr_ventoux/left_image.geom"),
                                    ("MS", "image/phr_ventoux/lowres_color_image.tif", "rpc/phr_ventoux/lowres_color_image.geom")] {
            let dir = product + "/IMG_PHR1B_\(kind)_001", name = String(format: scene, kind)
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try fm.createSymbolicLink(atPath: dir + "/DIM_\(name).XML", withDestinationPath: crops + geom)
            try fm.createSymbolicLink(atPath: dir + "/IMG_\(name)_R1C1.TIF", withDestinationPath: crops + image)
            try fm.createSymbolicLink(atPath: dir + "/IMG_\(name)_R1C1.geom", withDestinationPath: crops + geom)
        }
        let common = ["--queue", queue, "--input-root", input, "--output-root", out]
        let submitted = try WorkerBinary.run(["submit", "pwh", product, "--output", "pwh-demo"] + common)
        #expect(submitted.status == 0, "\(submitted.err)")
        let worker = try WorkerBinary.start(queue: queue, inputRoot: input, outputRoot: out, log: base + "/w.log")
        defer { stopWorkers([worker]) }
        let q = try SQLiteJobQueue(folder: queue)
        let done = try await waitUntil(seconds: 180) {
            let state = try await q.job(id: 1)?.state
            return state == .succeeded || state == .failed
        }
        #expect(done)
        let job = try #require(try await q.job(id: 1))
        #expect(job.state == .succeeded, "\(job.lastError ?? "")")
        let id = "PHR1B_PMS_201308051042194_SEN_690908101-001_PWH"
        let published = try fm.contentsOfDirectory(atPath: out + "/pwh-demo").sorted()
        #expect(published == [id + ".json", id + ".tif"])
        // The STAC Item names the COG beside it.
        let item = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/pwh-demo/" + id + ".json"))) as? [String: Any]
        let assets = item?["assets"] as? [String: Any]
        #expect((assets?["data"] as? [String: Any])?["href"] as? String == "./" + id + ".tif")
        let staged = (try? fm.contentsOfDirectory(atPath: out + "/.relief-staging")) ?? []
        #expect(staged.isEmpty, "left in staging: \(staged)")
    }
}
