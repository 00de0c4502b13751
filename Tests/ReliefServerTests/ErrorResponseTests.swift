import Foundation
import HummingbirdTesting
import NIOCore
@testable import ReliefServer
import Testing

/// Refusals: each the right status and an OGC exception body (type, title, status, detail) that
/// says what is wrong.
@Suite("HTTP errors") struct ErrorResponseTests {
    @Test func missingOrWrongTokenIs401() async throws {
        let f = try await ServerFixture()
        defer { Task { await f.close() } }
        try await f.live { client in
            for headers in [f.headers(nil), f.headers("not-a-token"), [.authorization: "Basic abc"]] {
                let r = try await client.execute(uri: "/jobs", method: .get, headers: headers)
                #expect(r.status == .unauthorized)
                #expect(r.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
                let o = try object(r)
                #expect(o["status"] as? Int == 401)
                #expect((o["detail"] as? String)?.isEmpty == false)
            }
            let r = try await client.execute(uri: "/processes/dsm/execution", method: .post, headers: f.headers("wrong"), body: dsmBody())
            #expect(r.status == .unauthorized)
        }
    }

    @Test func badRequestsNameTheProblem() async throws {
        let f = try await ServerFixture(maxBodyBytes: 2048)
        defer { Task { await f.close() } }
        try await f.live { client in
            func post(_ path: String, _ body: String) async throws -> (Int, String) {
                let r = try await client.execute(uri: path, method: .post, headers: f.headers("alice"), body: ByteBuffer(string: body))
                let o = try object(r)
                #expect(o["status"] as? Int == Int(r.status.code))
                #expect(r.headers[.contentType] == "application/problem+json")
                return (Int(r.status.code), o["detail"] as? String ?? "")
            }
            var (status, detail) = try await post("/processes/dsm/execution", #"{"inputs": {"pair": "#)
            #expect(status == 400 && detail.contains("not valid JSON"), "\(detail)")
            (status, detail) = try await post("/processes/nope/execution", #"{"inputs":{}}"#)
            #expect(status == 404 && detail.contains("no process 'nope'"), "\(detail)")
            (status, detail) = try await post("/processes/dsm/execution", #"{"inputs":{"pair":"synthetic-pair","height":340,"colour":"red"}}"#)
            #expect(status == 400 && detail.contains("unknown input 'colour'"), "\(detail)")
            (status, detail) = try await post("/processes/dsm/execution", #"{"inputs":{"pair":"../../etc","height":340}}"#)
            #expect(status == 400 && detail.contains("looks like a file path"), "\(detail)")
            (status, detail) = try await post("/processes/dsm/execution", #"{"inputs":{"pair":"no-such-pair","height":340}}"#)
            #expect(status == 400 && detail.contains("no catalogue product 'no-such-pair'"), "\(detail)")
            (status, detail) = try await post("/processes/dsm/execution", #"{"inputs":{"pair":"single","height":340}}"#)
            #expect(status == 400 && detail.contains("not a stereo pair"), "\(detail)")
            // No height: accepted (measured from the images); a margin without a height is not.
            (status, detail) = try await post("/processes/dsm/execution", #"{"inputs":{"pair":"synthetic-pair","heightMargin":50}}"#)
            #expect(status == 400 && detail.contains("'heightMargin' needs 'height'"), "\(detail)")
            (status, detail) = try await post("/processes/dsm/execution", #"{"inputs":{"pair":"synthetic-pair","height":340,"roi":[200,200,100,100]}}"#)
            #expect(status == 400 && detail.contains("goes beyond the reference image"), "\(detail)")
            (status, detail) = try await post("/processes/dsm/execution", #"{"inputs":{"pair":"synthetic-pair","height":340,"resolution":1000}}"#)
            #expect(status == 400 && detail.contains("resolution"), "\(detail)")
            // 3000 bytes > the 2048-byte limit of this fixture.
            (status, detail) = try await post("/processes/dsm/execution", #"{"inputs":{"pair":"\#(String(repeating: "x", count: 3000))"}}"#)
            #expect(status == 413 && detail.contains("2048 bytes"), "\(detail)")
            let r = try await client.execute(uri: "/no/such/path", method: .get)
            #expect(r.status == .notFound)
            #expect(try object(r)["status"] as? Int == 404)
        }
    }

    @Test func quotaRefusalSaysWhatIsLeft() async throws {
        let f = try await ServerFixture()
        defer { Task { await f.close() } }
        try await f.live { client in
            let r = try await client.execute(uri: "/processes/dsm/execution", method: .post, headers: f.headers("dave"), body: dsmBody())
            #expect(r.status == .forbidden)
            let detail = try object(r)["detail"] as? String ?? ""
            #expect(detail.contains("0.001 km² left"), "\(detail)")
            let list = try await client.execute(uri: "/jobs", method: .get, headers: f.headers("dave"))
            #expect((try object(list)["jobs"] as? [Any])?.isEmpty == true, "nothing queued")
            let q = try object(try await client.execute(uri: "/quota", method: .get, headers: f.headers("dave")))
            #expect(q["remainingKm2"] as? Double == 0.001)
        }
    }

    @Test func rateLimitGives429() async throws {
        let f = try await ServerFixture(requestsPerMinute: 3)
        defer { Task { await f.close() } }
        try await f.live { client in
            var statuses: [Int] = []
            for _ in 0..<4 { statuses.append(Int(try await client.execute(uri: "/quota", method: .get, headers: f.headers("alice")).status.code)) }
            // The limit may straddle a minute boundary: then the 4th is admitted in the new window.
            #expect(statuses.prefix(3) == [200, 200, 200])
            if statuses[3] != 200 { #expect(statuses[3] == 429) }
        }
    }
}
