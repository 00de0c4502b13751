import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import ReliefQueue
@testable import ReliefServer
import Testing

/// Retries that never double-charge, dismissal of finished jobs, the exception of a failed job.
@Suite("Idempotent submission and dismissal") struct SubmissionLifecycleTests {
    static let key = HTTPField.Name("Idempotency-Key")!

    @Test(arguments: StoreBackend.allCases) func aRetriedPostWithItsKeyIsTheSameJobChargedOnce(_ backend: StoreBackend) async throws {
        guard backend.isAvailable else { return }
        let f = try await ServerFixture(backend: backend)
        defer { Task { await f.close() } }
        try await f.live { client in
            var h = f.headers("alice")
            h[Self.key] = "portal-order-42"
            let first = try await client.execute(uri: "/processes/dsm/execution", method: .post, headers: h, body: dsmBody())
            let retry = try await client.execute(uri: "/processes/dsm/execution", method: .post, headers: h, body: dsmBody())
            #expect(first.status == .created && retry.status == .created)
            let id = try #require(try object(first)["jobID"] as? String)
            #expect(try object(retry)["jobID"] as? String == id)
            #expect(retry.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            #expect(retry.headers[.location] == first.headers[.location])
            let q = try object(try await client.execute(uri: "/quota", method: .get, headers: f.headers("alice")))
            #expect(q["jobsInFlight"] as? Int == 1, "reserved once: \(q)")
            // The same key with another body: a conflict, nothing queued.
            let other = try await client.execute(uri: "/processes/dsm/execution", method: .post, headers: h, body: dsmBody(roi: [0, 0, 64, 64]))
            #expect(other.status == .conflict)
            #expect((try object(other)["detail"] as? String)?.contains("job \(id)") == true)
            // Keys are per user: bob's same key is his own job.
            var hb = f.headers("bob")
            hb[Self.key] = "portal-order-42"
            let bobs = try await client.execute(uri: "/processes/dsm/execution", method: .post, headers: hb, body: dsmBody())
            #expect(bobs.status == .created)
            #expect(try object(bobs)["jobID"] as? String != id)
            // Without a key, a second POST is a second job (as before).
            let plain = try await client.execute(uri: "/processes/dsm/execution", method: .post, headers: f.headers("alice"), body: dsmBody())
            #expect(try object(plain)["jobID"] as? String != id)
            h[Self.key] = String(repeating: "k", count: 256)
            #expect(try await client.execute(uri: "/processes/dsm/execution", method: .post, headers: h, body: dsmBody()).status == .badRequest)
        }
    }

    /// The worker's part played by the test: the job is claimed and completed with one output
    /// file in the folder the server named.
    static func completeWithAFile(_ f: ServerFixture, id: Int64) async throws -> String {
        let job = try #require(try await f.queue.claim(owner: "test-worker", leaseSeconds: 60))
        #expect(job.id == id)
        guard case .dsm(let r) = try JobRequest.decode(job.payload) else { throw CocoaError(.coderInvalidValue) }
        let folder = f.outputRoot + "/" + (r.output ?? "")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: folder + "/dsm.tif", contents: Data("II*\0".utf8))
        #expect(try await f.queue.complete(id: id, owner: "test-worker", result: #"{"outputs":["\#(folder)/dsm.tif"]}"#))
        return folder
    }

    @Test(arguments: StoreBackend.allCases) func deleteOfAFinishedJobRemovesItsFilesAndKeepsItsCharge(_ backend: StoreBackend) async throws {
        guard backend.isAvailable else { return }
        let f = try await ServerFixture(backend: backend)
        defer { Task { await f.close() } }
        try await f.live { client in
            var keyed = f.headers("alice")
            keyed[Self.key] = "order-7"
            let id = try #require(try object(try await client.execute(uri: "/processes/dsm/execution", method: .post, headers: keyed, body: dsmBody()))["jobID"] as? String)
            let folder = try await Self.completeWithAFile(f, id: Int64(id)!)
            #expect(try await client.execute(uri: "/jobs/\(id)/files/dsm.tif", method: .get, headers: f.headers("alice")).status == .ok)
            let used = try object(try await client.execute(uri: "/quota", method: .get, headers: f.headers("alice")))["usedKm2"] as? Double ?? 0
            #expect(used > 0, "charged once successful")
            let r = try await client.execute(uri: "/jobs/\(id)", method: .delete, headers: f.headers("alice"))
            #expect(r.status == .ok)
            #expect(try object(r)["status"] as? String == "dismissed")
            #expect(!FileManager.default.fileExists(atPath: folder), "its files are removed")
            #expect(try await client.execute(uri: "/jobs/\(id)", method: .get, headers: f.headers("alice")).status == .notFound)
            #expect(try await client.execute(uri: "/jobs/\(id)/files/dsm.tif", method: .get, headers: f.headers("alice")).status == .notFound)
            let list = try object(try await client.execute(uri: "/jobs", method: .get, headers: f.headers("alice")))
            #expect((list["jobs"] as? [Any])?.isEmpty == true)
            let after = try object(try await client.execute(uri: "/quota", method: .get, headers: f.headers("alice")))
            #expect(after["usedKm2"] as? Double == used, "the charge stays: the work was done")
            // The key of a dismissed job names the next job it makes, then that one on retries.
            let again = try object(try await client.execute(uri: "/processes/dsm/execution", method: .post, headers: keyed, body: dsmBody()))
            let next = try #require(again["jobID"] as? String)
            #expect(next != id)
            #expect(try object(try await client.execute(uri: "/processes/dsm/execution", method: .post, headers: keyed, body: dsmBody()))["jobID"] as? String == next)
        }
    }

    @Test func resultsOfAFailedJobAreItsException() async throws {
        let f = try await ServerFixture()
        defer { Task { await f.close() } }
        try await f.live { client in
            let id = try #require(try object(try await client.execute(uri: "/processes/dsm/execution", method: .post, headers: f.headers("alice"), body: dsmBody()))["jobID"] as? String)
            let job = try #require(try await f.queue.claim(owner: "test-worker", leaseSeconds: 60))
            guard case .dsm(let r) = try JobRequest.decode(job.payload) else { throw CocoaError(.coderInvalidValue) }
            let image = r.images[0].path
            _ = try await f.queue.fail(id: job.id, owner: "test-worker",
                                       error: "invalid configuration: the points of the ROI and one 64-pixel tile need about 2000 MB; raise --memory or use a smaller ROI (\(image))",
                                       retryable: false)
            let results = try await client.execute(uri: "/jobs/\(id)/results", method: .get, headers: f.headers("alice"))
            #expect(results.status == .internalServerError)
            let o = try object(results)
            #expect(o["type"] as? String == "urn:relief:job-failed")
            let detail = try #require(o["detail"] as? String)
            #expect(detail.contains("synthetic-pair/stereo_left.tif"), "names the product's image: \(detail)")
            #expect(!detail.contains(f.folder) && !detail.contains("--"), "no server path, no flag: \(detail)")
            let status = try object(try await client.execute(uri: "/jobs/\(id)", method: .get, headers: f.headers("alice")))
            #expect(status["status"] as? String == "failed")
            #expect((status["message"] as? String).map { !$0.contains(f.folder) && !$0.contains("--") } == true, "\(status)")
        }
    }
}
