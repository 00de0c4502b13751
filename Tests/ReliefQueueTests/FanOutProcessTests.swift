import Foundation
import Testing
@testable import ReliefQueue

/// Fan-out of a DSM job over `pipeline-worker` processes (SQLite queue): the same request run as
/// one job and split into 4 tile jobs over 2 workers gives the same DSM file, byte for byte; a
/// worker killed (SIGKILL) during a tile has that tile retried by the other after its lease.
extension QueueSerialTests {
    @Suite("Fan-out over worker processes")
    struct FanOutProcessTests {
        static let sample: String? = ProcessInfo.processInfo.environment["RELIEF_SAMPLE_DATA"].flatMap { $0.isEmpty ? nil : $0 }

        /// A DSM request of 2 x 2 matching tiles and the `--split-above` that cuts it into 4 parts.
        struct Case {
            var inputRoot: String
            var reference: String
            var secondary: String
            /// nil: no height prior (measured by the sparse analysis, once per request).
            var height: Double?
            var margin: Double
            var resolution: Double
            var roi: [Int]
            var tile: Int
            /// Also kill a worker during a tile (tiles must last well over a heartbeat, 0.3 s, to be seen running).
            var killDuringTile: Bool
            var splitAbove: Int { tile * tile }
        }

        @Test("bundled synthetic pair without height prior: 4 tiles over 2 workers equal the one-job DSM (the sparse analysis travels with the layout)")
        func syntheticPair() async throws {
            let testdata = WorkerProcessTests.testdata
            try await Self.run(Case(inputRoot: testdata, reference: testdata + "/stereo_left.tif", secondary: testdata + "/stereo_right.tif",
                                    height: nil, margin: 40, resolution: 1, roi: [80, 80, 96, 96], tile: 48, killDuringTile: false))
        }

        @Test("Réunion pair (300 x 300 ROI): 4 tiles over 2 workers equal the one-job DSM; a killed tile is retried",
              .enabled(if: sample != nil, "RELIEF_SAMPLE_DATA is not set: skipping the fan-out on real imagery"))
        func reunion() async throws {
            let pair = Self.sample! + "/s2p_reunion_pair/input_pair"
            try await Self.run(Case(inputRoot: Self.sample!, reference: pair + "/img_01.tif", secondary: pair + "/img_02.tif",
                                    height: 2320, margin: 100, resolution: 0.5, roi: [350, 350, 300, 300], tile: 150, killDuringTile: true))
        }

        static func run(_ c: Case) async throws {
            let base = try makeTemporaryFolder()
            defer { removeFolder(base) }
            let queue = base + "/queue", out = base + "/out"
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            let q = try SQLiteJobQueue(folder: queue)
            func submit(_ output: String) async throws -> Int64 {
                let prior = c.height.map { ["--height", "\($0)", "--height-margin", "\(c.margin)"] } ?? []
                let s = try WorkerBinary.run(["submit", "dsm", c.reference, c.secondary] + prior + [
                                              "--resolution", "\(c.resolution)", "--roi", c.roi.map(String.init).joined(separator: ","),
                                              "--tile", "\(c.tile)", "--output", output, "--queue", queue, "--input-root", c.inputRoot,
                                              "--output-root", out])
                #expect(s.status == 0, "submit failed: \(s.err)")
                // `{"created":true,"job":{...}}` (the workers may have claimed it already).
                let o = try JSONSerialization.jsonObject(with: Data(s.out.utf8)) as? [String: Any]
                return try #require((o?["job"] as? [String: Any])?["id"] as? NSNumber).int64Value
            }
            func finished(_ id: Int64, seconds: Double) async throws -> Job {
                _ = try await waitUntil(seconds: seconds) { try await q.job(id: id)?.state.isFinal ?? false }
                return try #require(try await q.job(id: id))
            }
            func worker(_ name: String, splitAbove: Int) throws -> Process {
                try WorkerBinary.start(queue: queue, inputRoot: c.inputRoot, outputRoot: out, log: base + "/\(name).log",
                                       extra: ["--lease", "3", "--heartbeat", "0.3", "--threads", "1", "--split-above", "\(splitAbove)"])
            }
            /// The worker each child's result names (`"worker":"host:pid:random"`).
            func runBy(_ child: Job) -> String? {
                guard let data = child.result?.data(using: .utf8),
                      let o = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
                return o["worker"] as? String
            }
            func leftovers() -> [String] {
                let all = FileManager.default.enumerator(atPath: out)?.allObjects as? [String] ?? []
                return all.filter { !["one", "one/dsm.tif", "fan", "fan/dsm.tif", "kill", "kill/dsm.tif", ".relief-staging"].contains($0) }
            }

            // The reference: the same request in one job (splitting disabled).
            let one = try await submit("one")
            let single = try worker("single", splitAbove: 0)
            let reference = try await finished(one, seconds: 300)
            stopWorkers([single])
            #expect(reference.state == .succeeded, "\(reference.lastError ?? "")")
            #expect(try await q.children(of: one).isEmpty)
            let referenceBytes = try Data(contentsOf: URL(fileURLWithPath: out + "/one/dsm.tif"))

            // Fanned out over two workers.
            var workers = [try worker("w1", splitAbove: c.splitAbove), try worker("w2", splitAbove: c.splitAbove)]
            defer { stopWorkers(workers) }
            let fan = try await submit("fan")
            let merged = try await finished(fan, seconds: 300)
            #expect(merged.state == .succeeded, "\(merged.lastError ?? "")")
            let children = try await q.children(of: fan)
            #expect(children.count == 4 && children.allSatisfy { $0.state == .succeeded && $0.kind == "dsm-tile" && $0.priority == merged.priority })
            let ranBy = children.map(runBy)
            print("fan-out tiles run by: \(ranBy.map { $0 ?? "?" })")
            #expect(Set(ranBy.compactMap { $0 }).count == 2, "the tiles were not shared by the two workers: \(ranBy)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/fan/dsm.tif")) == referenceBytes,
                    "the merged DSM differs from the one-job DSM")
            // The tile folder goes once the success is recorded (the worker's `succeeded` hook, just after).
            #expect(try await waitUntil(seconds: 10) { leftovers().isEmpty }, "temporary files left: \(leftovers())")

            // A worker killed during a tile: the other takes the tile after the lease.
            guard c.killDuringTile else { await q.shutdown(); return }
            let killJob = try await submit("kill")
            var victim: (child: Int64, worker: String)?
            _ = try await waitUntil(seconds: 120) {
                let running = try await q.children(of: killJob).first { $0.state == .running && $0.progress >= 2 && $0.leaseOwner != nil }
                victim = running.map { ($0.id, $0.leaseOwner!) }
                return victim != nil
            }
            let (killedChild, killedName) = try #require(victim, "no tile seen running")
            let pid = try #require(Int32(killedName.split(separator: ":")[1]))
            let killed = try #require(workers.first { $0.processIdentifier == pid })
            kill(pid, SIGKILL)
            killed.waitUntilExit()
            workers.removeAll { $0.processIdentifier == pid }
            #expect(try await q.job(id: killedChild)?.state == .running, "the tile finished before the kill: the test proves nothing")
            let afterKill = try await finished(killJob, seconds: 300)
            #expect(afterKill.state == .succeeded, "\(afterKill.lastError ?? "")")
            let retried = try #require(try await q.job(id: killedChild))
            #expect(retried.state == .succeeded && retried.attempts == 2)
            #expect(runBy(retried).map { $0 != killedName } == true, "the retried tile names \(runBy(retried) ?? "nobody")")
            #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/kill/dsm.tif")) == referenceBytes)
            // The tile folder goes once the success is recorded (the worker's `succeeded` hook, just after).
            #expect(try await waitUntil(seconds: 10) { leftovers().isEmpty }, "temporary files left: \(leftovers())")
            await q.shutdown()
        }
    }
}
