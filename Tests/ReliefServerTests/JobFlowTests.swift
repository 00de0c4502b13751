import Foundation
import HummingbirdTesting
import NIOCore
import ReliefQueue
@testable import ReliefServer
import Testing

/// Submit, poll, results, range reads, visibility, quota charging, dismissal.
@Suite("HTTP jobs") struct JobFlowTests {
    /// Polls a job until it is final (or `seconds` pass).
    static func waitFinal(_ client: any TestClientProtocol, _ f: ServerFixture, job: String, user: String = "alice", seconds: Double = 120) async throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            let o = try object(try await client.execute(uri: "/jobs/\(job)", method: .get, headers: f.headers(user)))
            let status = o["status"] as? String ?? ""
            if ["successful", "failed", "dismissed"].contains(status) || Date() > deadline { return o }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    @Test func submitPollFetchAndReadTheCOG() async throws {
        let f = try await ServerFixture()
        defer { Task { await f.close() } }
        var options = WorkerOptions()
        options.pollSeconds = 0.05
        let worker = Worker(queue: f.queue, runner: StandardJobRunner(confinement: f.api.parser.confinement, threads: 2), options: options)
        let workerTask = Task { await worker.run() }
        defer { worker.stop() }
        try await f.live { client in
            // No height: the worker measures it (sparse analysis) before the tiles.
            let r = try await client.execute(uri: "/processes/dsm/execution", method: .post, headers: f.headers("alice"),
                                             body: dsmBody(height: false))
            #expect(r.status == .created)
            let submitted = try object(r)
            let job = try #require(submitted["jobID"] as? String)
            #expect(r.headers[.location]?.hasSuffix("/jobs/\(job)") == true)
            #expect(["accepted", "running"].contains(submitted["status"] as? String ?? ""))
            // 128 x 128 pixels of 0.5 m: 64 m x 64 m = 0.0041 km² (the views are at ±10°: a little more on the ground).
            let area = try #require(submitted["relief:areaKm2"] as? Double)
            #expect(area > 0.0035 && area < 0.0050, "\(area)")

            // Someone else's job is a 404; the entity's referent sees it.
            #expect(try await client.execute(uri: "/jobs/\(job)", method: .get, headers: f.headers("bob")).status == .notFound)
            #expect(try await client.execute(uri: "/jobs/\(job)", method: .get, headers: f.headers("carol")).status == .ok)
            #expect(try await client.execute(uri: "/jobs/\(job)", method: .delete, headers: f.headers("bob")).status == .notFound)
            #expect(try await client.execute(uri: "/jobs/\(job)", method: .get, headers: f.headers("dave")).status == .notFound)

            let final = try await Self.waitFinal(client, f, job: job)
            #expect(final["status"] as? String == "successful", "\(final)")
            #expect(final["finished"] is String)
            #expect(final["progress"] as? Int == 100 || final["status"] as? String == "successful")

            let results = try object(try await client.execute(uri: "/jobs/\(job)/results", method: .get, headers: f.headers("alice")))
            let dsm = try #require(results["dsm"] as? [String: Any])
            let href = try #require(dsm["href"] as? String)
            let path = try #require(URL(string: href)?.path)
            #expect(path == "/jobs/\(job)/files/dsm.tif")

            // A range read: the first 16 bytes of a little-endian TIFF ("II*\0") or BigTIFF ("II+\0").
            var h = f.headers("alice")
            h[.range] = "bytes=0-15"
            let part = try await client.execute(uri: path, method: .get, headers: h)
            #expect(part.status == .partialContent)
            #expect(part.body.readableBytes == 16)
            #expect(Array(part.body.readableBytesView.prefix(2)) == [0x49, 0x49])
            #expect(part.headers[.acceptRanges] == "bytes")
            let size = try #require(part.headers[.contentRange].flatMap { Int($0.split(separator: "/").last ?? "") })
            #expect(part.headers[.contentRange] == "bytes 0-15/\(size)")
            let whole = try await client.execute(uri: path, method: .get, headers: f.headers("alice"))
            #expect(whole.status == .ok && whole.body.readableBytes == size)
            h[.range] = "bytes=\(size + 10)-"
            #expect(try await client.execute(uri: path, method: .get, headers: h).status == .rangeNotSatisfiable)
            #expect(try await client.execute(uri: path, method: .get, headers: f.headers(nil)).status == .unauthorized)

            // GDAL reads the COG through /vsicurl/ with the token in a header.
            if let gdal = which("gdalinfo"), let port = client.port {
                let (status, out) = try runProcess(gdal, ["/vsicurl/http://127.0.0.1:\(port)\(path)"],
                                                   environment: ["GDAL_HTTP_HEADERS": "Authorization: Bearer \(f.tokens["alice"]!)",
                                                                 "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".tif", "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR"])
                #expect(status == 0, "\(out)")
                #expect(out.contains("LAYOUT=COG"), "\(out)")
                #expect(out.contains("32631"), "UTM 31N: \(out)")
            } else {
                Issue.record("gdalinfo not found: install gdal-bin (scripts/install-deps)")
            }

            // The STAC Item.
            let stacResponse = try await client.execute(uri: "/jobs/\(job)/stac", method: .get, headers: f.headers("alice"))
            #expect(stacResponse.headers[.contentType] == "application/geo+json")
            let item = try object(stacResponse)
            #expect(item["stac_version"] as? String == "1.0.0")
            let properties = try #require(item["properties"] as? [String: Any])
            #expect(properties["proj:epsg"] as? Int == 32631)
            #expect((item["geometry"] as? [String: Any])?["type"] as? String == "Polygon")
            let asset = try #require((item["assets"] as? [String: Any])?["dsm"] as? [String: Any])
            #expect(asset["roles"] as? [String] == ["data"])
            #expect((asset["href"] as? String)?.hasSuffix(path) == true)

            // Charged once it succeeded.
            let q = try object(try await client.execute(uri: "/quota", method: .get, headers: f.headers("alice")))
            #expect(abs((q["usedKm2"] as? Double ?? 0) - area) < 1e-3, "\(q)")
            #expect(q["reservedKm2"] as? Double == 0)

            // Listing: alice sees 1, bob 0, carol (referent) 1.
            for (user, count) in [("alice", 1), ("bob", 0), ("carol", 1)] {
                let list = try object(try await client.execute(uri: "/jobs", method: .get, headers: f.headers(user)))
                #expect((list["jobs"] as? [Any])?.count == count, "\(user)")
            }
        }
        worker.stop()
        await workerTask.value
    }

    @Test func dismissARunningJob() async throws {
        let f = try await ServerFixture()
        defer { Task { await f.close() } }
        try await f.live { client in
            let ids = try await (0..<3).asyncMap { _ in
                try object(try await client.execute(uri: "/processes/dsm/execution", method: .post, headers: f.headers("alice"), body: dsmBody()))["jobID"] as? String
            }
            // Paging: limit 2 gives a next link to the third.
            let page = try object(try await client.execute(uri: "/jobs?limit=2", method: .get, headers: f.headers("alice")))
            #expect((page["jobs"] as? [Any])?.count == 2)
            let next = try #require((page["links"] as? [[String: Any]])?.first { $0["rel"] as? String == "next" }?["href"] as? String)
            let nextURL = try #require(URL(string: next))
            #expect(nextURL.query == "limit=2&offset=2")
            let page2 = try object(try await client.execute(uri: nextURL.path + "?" + (nextURL.query ?? ""), method: .get, headers: f.headers("alice")))
            #expect((page2["jobs"] as? [[String: Any]])?.first?["jobID"] as? String == ids.first ?? nil)

            // A worker takes the oldest job (we play the worker: claim without running it).
            let claimed = try #require(try await f.queue.claim(owner: "test-worker", leaseSeconds: 60))
            let job = "\(claimed.id)"
            #expect(try object(try await client.execute(uri: "/jobs/\(job)", method: .get, headers: f.headers("alice")))["status"] as? String == "running")
            let r = try await client.execute(uri: "/jobs/\(job)", method: .delete, headers: f.headers("alice"))
            #expect(r.status == .ok)
            #expect(try object(r)["status"] as? String == "dismissed")
            #expect(try await f.queue.heartbeat(id: claimed.id, owner: "test-worker", leaseSeconds: 60, progress: 10, step: nil) == .cancelRequested)
            try await f.queue.markCancelled(id: claimed.id, owner: "test-worker")
            let after = try object(try await client.execute(uri: "/jobs/\(job)", method: .get, headers: f.headers("alice")))
            #expect(after["status"] as? String == "dismissed")
            #expect(try await client.execute(uri: "/jobs/\(job)/results", method: .get, headers: f.headers("alice")).status == .notFound)
            // The dismissed job's reservation is freed; two are still in flight.
            let q = try object(try await client.execute(uri: "/quota", method: .get, headers: f.headers("alice")))
            #expect(q["jobsInFlight"] as? Int == 2)
            #expect(q["usedKm2"] as? Double == 0)
        }
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for e in self { out.append(try await transform(e)) }
        return out
    }
}

func which(_ name: String) -> String? {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
        let p = "\(dir)/\(name)"
        if FileManager.default.isExecutableFile(atPath: p) { return p }
    }
    return nil
}

/// Runs a program; stdout and stderr together through a file.
func runProcess(_ path: String, _ arguments: [String], environment: [String: String]) throws -> (Int32, String) {
    let out = NSTemporaryDirectory() + "relief-proc-" + UUID().uuidString
    FileManager.default.createFile(atPath: out, contents: nil)
    defer { try? FileManager.default.removeItem(atPath: out) }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = arguments
    p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, b in b }
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
    p.standardOutput = handle
    p.standardError = handle
    try p.run()
    p.waitUntilExit()
    return (p.terminationStatus, (try? String(contentsOfFile: out, encoding: .utf8)) ?? "")
}
