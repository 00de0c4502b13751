import Foundation
import Hummingbird
import HummingbirdTesting
import ReliefQueue
@testable import ReliefServer
import Testing

/// A pwh product ordered through the API and made by an in-process worker, on a stand-in
/// catalogue product (links to the Ventoux PAN and MS crops and their OSSIM .geom models, laid
/// out as a provider's DIMAP product).
@Suite("HTTP PWH jobs")
struct PWHJobTests {
    static let sample: String? = {
        guard let v = ProcessInfo.processInfo.environment["RELIEF_SAMPLE_DATA"], !v.isEmpty else { return nil }
        return v
    }()

    @Test("POST /processes/pwh/execution: the ortho COG and the recipe's STAC Item among the results",
          .enabled(if: sample != nil, "RELIEF_SAMPLE_DATA is not set: skipping the PWH job on real imagery"))
    func pwhThroughTheAPI() async throws {
        let f = try await ServerFixture()
        defer { Task { await f.close() } }
        let crops = try #require(Self.sample) + "/cars_phr_ventoux/", fm = FileManager.default
        let product = f.folder + "/catalogue/ventoux-pms", scene = "PHR1B_%@_201308051042194_SEN_690908101-001"
        for (kind, image, geom) in [("P", "image/phr_ventoux/left_image.tif", "rpc/phr_ventoux/left_image.geom"),
                                    ("MS", "image/phr_ventoux/lowres_color_image.tif", "rpc/phr_ventoux/lowres_color_image.geom")] {
            let dir = product + "/IMG_PHR1B_\(kind)_001", name = String(format: scene, kind)
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try fm.createSymbolicLink(atPath: dir + "/DIM_\(name).XML", withDestinationPath: crops + geom)
            try fm.createSymbolicLink(atPath: dir + "/IMG_\(name)_R1C1.TIF", withDestinationPath: crops + image)
            try fm.createSymbolicLink(atPath: dir + "/IMG_\(name)_R1C1.geom", withDestinationPath: crops + geom)
        }
        var options = WorkerOptions()
        options.pollSeconds = 0.05
        let worker = Worker(queue: f.queue, runner: StandardJobRunner(confinement: f.api.parser.confinement, threads: 2), options: options)
        let workerTask = Task { await worker.run() }
        defer { worker.stop() }
        try await f.live { client in
            let body = ByteBuffer(string: #"{"inputs":{"product":"ventoux-pms"}}"#)
            let r = try await client.execute(uri: "/processes/pwh/execution", method: .post, headers: f.headers("alice"), body: body)
            #expect(r.status == .created, "\(String(buffer: r.body))")
            let job = try #require(try object(r)["jobID"] as? String)
            // The product's PAN footprint: 500 x 500 pixels of about 0.5 m (250 m x 250 m = 0.0625
            // km², a little more off nadir).
            let area = try #require(try object(r)["relief:areaKm2"] as? Double)
            #expect(area > 0.055 && area < 0.08, "\(area)")
            let final = try await JobFlowTests.waitFinal(client, f, job: job)
            #expect(final["status"] as? String == "successful", "\(final)")
            let results = try object(try await client.execute(uri: "/jobs/\(job)/results", method: .get, headers: f.headers("alice")))
            let ortho = try #require(results["ortho"] as? [String: Any]), item = try #require(results["stacItem"] as? [String: Any])
            #expect((ortho["href"] as? String)?.hasSuffix("_PWH.tif") == true)
            #expect(item["type"] as? String == "application/geo+json")
            // The recipe's Item, served from the job's folder, names the COG beside it.
            let href = try #require(item["href"] as? String)
            let path = try #require(URL(string: href)?.path)
            let served = try await client.execute(uri: path, method: .get, headers: f.headers("alice"))
            #expect(served.status == .ok)
            let stac = try #require(try JSONSerialization.jsonObject(with: Data(buffer: served.body)) as? [String: Any])
            let data = (stac["assets"] as? [String: Any])?["data"] as? [String: Any]
            #expect((data?["href"] as? String)?.hasSuffix("_PWH.tif") == true)
        }
        worker.stop()
        await workerTask.value
    }
}
