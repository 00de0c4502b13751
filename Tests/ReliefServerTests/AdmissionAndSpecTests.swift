import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
@testable import ReliefServer
import Testing

/// Admission by cost, and the HTTP details a portal relies on: CORS, `Preference-Applied`,
/// rate limits per route class, STAC datetimes.
@Suite("Admission by cost and spec details") struct AdmissionAndSpecTests {
    static func post(_ client: any TestClientProtocol, _ f: ServerFixture, _ extra: String) async throws -> (Int, String) {
        let r = try await client.execute(uri: "/processes/dsm/execution", method: .post, headers: f.headers("alice"), body: dsmBody(extra: extra))
        return (Int(r.status.code), try object(r)["detail"] as? String ?? "")
    }

    @Test func resolutionFinerThanHalfTheGSDIsRefusedWithTheNumbers() async throws {
        let f = try await ServerFixture()
        defer { Task { await f.close() } }
        try await f.live { client in
            // The synthetic pair's ground sample is about 0.5 m: 0.25 m is the finest accepted.
            var (status, detail) = try await Self.post(client, f, #","resolution":0.01"#)
            #expect(status == 400 && detail.contains("resolution 0.01 m is finer than 0.5 x the images' ground sample"), "\(detail)")
            #expect(detail.contains("use 0.2") || detail.contains("use 0.3"), "\(detail)")
            (status, detail) = try await Self.post(client, f, #","resolution":0.3"#)
            #expect(status == 201, "\(detail)")
        }
    }

    @Test func heightMarginIsBounded() async throws {
        let f = try await ServerFixture()
        defer { Task { await f.close() } }
        try await f.live { client in
            // dsmBody's margin is 40; a second "heightMargin" key is not allowed, so give the body whole.
            let r = try await client.execute(uri: "/processes/dsm/execution", method: .post, headers: f.headers("alice"),
                                             body: ByteBuffer(string: #"{"inputs":{"pair":"synthetic-pair","height":340,"heightMargin":1500,"roi":[64,64,128,128]}}"#))
            let detail = try object(r)["detail"] as? String ?? ""
            #expect(r.status == .badRequest && detail.contains("heightMargin 1500.00 m is above this server's limit of 1000.00 m"), "\(detail)")
        }
    }

    @Test func disparitySearchAndOutputCellsAreBounded() async throws {
        let f = try await ServerFixture { config, _ in
            config.admission.maxDisparityPixels = 10
        }
        defer { Task { await f.close() } }
        try await f.live { client in
            let (status, detail) = try await Self.post(client, f, "")
            #expect(status == 400 && detail.contains("makes a search of") && detail.contains("above the limit of 10"), "\(detail)")
            #expect(detail.contains("at most about"), "\(detail)")
        }
        let g = try await ServerFixture { config, _ in config.admission.maxOutputCells = 1000 }
        defer { Task { await g.close() } }
        try await g.live { client in
            let (status, detail) = try await Self.post(client, g, "")
            #expect(status == 400 && detail.contains("cells, above the limit of 1000"), "\(detail)")
        }
    }

    @Test func corsForConfiguredOriginsOnly() async throws {
        let f = try await ServerFixture { config, _ in config.corsOrigins = ["https://portal.example"] }
        defer { Task { await f.close() } }
        try await f.live { client in
            let preflight = try await client.execute(uri: "/processes/dsm/execution", method: .options,
                                                     headers: [.origin: "https://portal.example", .accessControlRequestMethod: "POST",
                                                               .accessControlRequestHeaders: "authorization, content-type"])
            #expect(preflight.status == .noContent)
            #expect(preflight.headers[.accessControlAllowOrigin] == "https://portal.example")
            #expect(preflight.headers[.accessControlAllowHeaders]?.contains("Authorization") == true)
            var h = f.headers("alice")
            h[.origin] = "https://portal.example"
            let r = try await client.execute(uri: "/jobs", method: .get, headers: h)
            #expect(r.status == .ok)
            #expect(r.headers[.accessControlAllowOrigin] == "https://portal.example")
            #expect(r.headers[.accessControlExposeHeaders]?.contains("Location") == true)
            let refused = try await client.execute(uri: "/jobs", method: .get, headers: [.origin: "https://portal.example"])
            #expect(refused.status == .unauthorized && refused.headers[.accessControlAllowOrigin] == "https://portal.example",
                    "a page can read its refusals")
            h[.origin] = "https://elsewhere.example"
            #expect(try await client.execute(uri: "/jobs", method: .get, headers: h).headers[.accessControlAllowOrigin] == nil)
        }
    }

    @Test func preferRespondAsyncIsApplied() async throws {
        let f = try await ServerFixture()
        defer { Task { await f.close() } }
        try await f.live { client in
            var h = f.headers("alice")
            h[HTTPField.Name("Prefer")!] = "respond-async"
            let r = try await client.execute(uri: "/processes/dsm/execution", method: .post, headers: h, body: dsmBody())
            #expect(r.status == .created)
            #expect(r.headers[HTTPField.Name("Preference-Applied")!] == "respond-async")
            let plain = try await client.execute(uri: "/processes/dsm/execution", method: .post, headers: f.headers("alice"), body: dsmBody())
            #expect(plain.headers[HTTPField.Name("Preference-Applied")!] == nil)
        }
    }

    /// A COG reader's range requests count apart: 30 of them leave the API budget (3 a minute
    /// in this fixture) whole for status polls.
    @Test func fileReadsDoNotUseUpTheAPIBudget() async throws {
        let f = try await ServerFixture(requestsPerMinute: 3)
        defer { Task { await f.close() } }
        try await f.live { client in
            var h = f.headers("alice")
            h[.range] = "bytes=0-16383"
            for _ in 0..<30 {
                #expect(try await client.execute(uri: "/jobs/1/files/dsm.tif", method: .get, headers: h).status == .notFound)
            }
            let polls = try await (0..<2).asyncMap { _ in try await client.execute(uri: "/quota", method: .get, headers: f.headers("alice")).status }
            #expect(polls == [.ok, .ok])
        }
    }

    @Test func acquisitionTimeFromTheImages() throws {
        let d = try #require(AcquisitionTime.fromDatasetIdentifier("Sensor DS_PHR1B_201306290637144_FR1_PX_E055S22_0919_01724 coverage"))
        #expect(iso8601(d.timeIntervalSince1970) == "2013-06-29T06:37:14.400Z")
        #expect(AcquisitionTime.fromDatasetIdentifier("DS_XYZ_201306290637144") == nil)
        let dimap = try #require(AcquisitionTime.fromDIMAP("<a><IMAGING_DATE>2017-03-08</IMAGING_DATE><IMAGING_TIME>10:49:34.3Z</IMAGING_TIME></a>"))
        #expect(iso8601(dimap.timeIntervalSince1970) == "2017-03-08T10:49:34.300Z")
        // A pair: datetime of the reference, start and end over both; the job's end is `created`.
        let item = stacItem(jobID: 1, process: "dsm", footprint: [[[55, -21], [55.1, -21], [55.1, -21.1], [55, -21]]], finished: 1_795_636_800,
                            acquired: [d, d.addingTimeInterval(20)], outputs: [], base: "http://x")
        #expect(item.properties.datetime == "2013-06-29T06:37:14.400Z")
        #expect(item.properties.startDatetime == "2013-06-29T06:37:14.400Z")
        #expect(item.properties.endDatetime == "2013-06-29T06:37:34.400Z")
        #expect(item.properties.created == "2026-11-25T20:00:00.000Z")
        // As served: the STAC keys, nothing local.
        let p = try #require((try JSONSerialization.jsonObject(with: item.encoded()) as? [String: Any])?["properties"] as? [String: Any])
        #expect(p["start_datetime"] as? String == "2013-06-29T06:37:14.400Z" && p["relief:process"] as? String == "dsm")
        #expect(p["relief:datetime"] == nil, "the images said when")
    }

    @Test("The Réunion pair was taken on 2013-06-29 (its DIMAP dataset identifier)",
          .enabled(if: PWHJobTests.sample != nil, "RELIEF_SAMPLE_DATA is not set: skipping the Réunion acquisition time"))
    func acquisitionTimeOfTheReunionPair() throws {
        let data = try #require(PWHJobTests.sample)
        let d = try #require(AcquisitionTime.read(image: data + "/s2p_reunion_pair/input_pair/img_01.tif"))
        #expect(iso8601(d.timeIntervalSince1970).hasPrefix("2013-06-29T06:37"))
    }

    @Test func servedItemsHaveNoLocalHrefs() throws {
        let item = #"{"type":"Feature","assets":{"data":{"href":"./x.tif"},"metadata":{"href":"/srv/catalogue/p/DIM_P.XML"}},"links":[{"rel":"x","href":"file:///srv"}]}"#
        let out = try #require(try JSONSerialization.jsonObject(with: withoutLocalHrefs(Data(item.utf8))) as? [String: Any])
        #expect((out["assets"] as? [String: Any])?.keys.sorted() == ["data"])
        #expect((out["links"] as? [Any])?.isEmpty == true)
    }
}
