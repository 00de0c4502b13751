import Foundation
import Raster
import Testing

/// Stop signals in the middle of a run: SIGINT and SIGTERM leave nothing behind; SIGKILL
/// leaves staging that the next run beside the same output removes (but not a live run's).
@Suite("dsm-run interrupted: no staging left", .serialized)
struct InterruptTests {
    /// Long enough runs on the synthetic files (each one writes staging early, then works for
    /// seconds in a debug build), with the staging prefix each creates.
    static let runs: [(arguments: String, staging: String)] = [
        ("dsm F/L.tif F/R.tif -o O/d.tif --height 340 --height-margin 40 --tile-size 16 --threads 1 --resolution 0.25", ".d.tif."),
        ("ortho F/S.tif -o O/o.tif --height 500 --resolution 0.02 --threads 1", ".o.tif."),
        ("match F/L.tif F/R.tif --disparity -128:128 --search full -o O/m.tif --confidence O/c.tif", ".m.tif."),
    ]

    @Test("SIGINT and SIGTERM: exit 130 / 143, one line, the output folder as before",
          arguments: [SIGINT, SIGTERM], [0, 1, 2])
    func stop(_ signal: Int32, _ index: Int) throws {
        let (arguments, staging) = Self.runs[index]
        let scratch = try makeTemporaryFolder("interrupt")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let output = scratch + "/out"
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: false)
        let before = snapshot(output)
        var sawStaging = false
        let r = try DSMRun.run(Self.expand(arguments, output), in: scratch) { process in
            sawStaging = Self.waitForEntry(prefix: staging, in: output, while: process)
            if sawStaging { kill(process.processIdentifier, signal) }
        }
        try #require(sawStaging, "the run ended before writing staging: \(r.text)")
        #expect(!r.signalled, "killed by signal \(r.status): \(r.err)")
        #expect(r.status == 128 + signal, "\(r.err)")
        let name = signal == SIGINT ? "SIGINT" : "SIGTERM"
        #expect(r.err.contains("dsm-run: stopped by \(name); removed"), "\(r.err)")
        #expect(r.err.components(separatedBy: "stopped by").count == 2, "one stop line: \(r.err)")
        #expect(snapshot(output) == before, "left in the output folder: \(Set(snapshot(output).keys).subtracting(before.keys).sorted())")
    }

    @Test("pwh: SIGINT removes its temporary folder and the output folder it created",
          .enabled(if: SampleData.root != nil, SampleData.skipMessage))
    func pwh() throws {
        let scratch = try makeTemporaryFolder("interrupt-pwh")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let output = scratch + "/out"
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: false)
        let v = "D/cars_phr_ventoux/"
        let arguments = "pwh --pan \(v)image/phr_ventoux/left_image.tif --ms \(v)image/phr_ventoux/lowres_color_image.tif "
            + "--pan-rpc \(v)rpc/phr_ventoux/left_image.geom --ms-rpc \(v)rpc/phr_ventoux/lowres_color_image.geom "
            + "--height 530 --threads 1 -o O/pwh"
        var sawStaging = false
        let r = try DSMRun.run(Self.expand(arguments, output), in: scratch) { process in
            let deadline = Date().addingTimeInterval(120)
            while process.isRunning && Date() < deadline && !sawStaging {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: output + "/pwh")) ?? []
                sawStaging = names.contains { $0.hasPrefix(".pwh.tmp-") }
                usleep(10_000)
            }
            if sawStaging { kill(process.processIdentifier, SIGINT) }
        }
        try #require(sawStaging, "the run ended before writing staging: \(r.text)")
        #expect(r.status == 130 && r.err.contains("dsm-run: stopped by SIGINT"), "\(r.err)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: output).isEmpty, "left: \(snapshot(output).keys.sorted())")
    }

    @Test("SIGKILL leaves staging; the next run beside the output removes that of dead runs, not a live run's")
    func killThenRerun() throws {
        let scratch = try makeTemporaryFolder("kill")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let output = scratch + "/out"
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: false)
        var sawStaging = false
        let killed = try DSMRun.run(Self.expand(Self.runs[0].arguments, output), in: scratch) { process in
            sawStaging = Self.waitForEntry(prefix: ".d.tif.", in: output, while: process)
            if sawStaging { kill(process.processIdentifier, SIGKILL) }
        }
        try #require(sawStaging, "the run ended before writing staging: \(killed.text)")
        #expect(killed.signalled && killed.status == SIGKILL)
        let left = try FileManager.default.contentsOfDirectory(atPath: output)
        #expect(left.contains { $0.hasPrefix(".d.tif.points-") }, "SIGKILL cannot clean up; found \(left)")
        // A live run's staging (this test process's id and start time) must survive the rerun.
        let live = ".d.tif.points-\(getpid())-\(Staging.processStart)-live"
        try FileManager.default.createDirectory(atPath: output + "/" + live, withIntermediateDirectories: false)
        let rerun = try DSMRun.run(Self.expand("dsm F/L.tif F/R.tif -o O/d.tif --height 340 --height-margin 40 --resolution 1 "
                                               + "--roi 64,64,64,64 --tile-size 64", output), in: scratch)
        #expect(rerun.status == 0, "\(rerun.err)")
        let after = try FileManager.default.contentsOfDirectory(atPath: output).sorted()
        #expect(after == [live, "d.tif"].sorted(), "entries after the rerun: \(after)")
    }

    static func expand(_ arguments: String, _ output: String) -> [String] {
        arguments.split(separator: " ").map { BadInputCorpusTests.expand(String($0), output: output) }
    }

    /// Polls `folder` until an entry starts with `prefix` (true) or the process ends (false).
    static func waitForEntry(prefix: String, in folder: String, while process: Process) -> Bool {
        let deadline = Date().addingTimeInterval(120)
        while process.isRunning && Date() < deadline {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            // Registered before it is created: the run can be stopped from now on.
            if names.contains(where: { $0.hasPrefix(prefix) }) { return process.isRunning }
            usleep(10_000)
        }
        return false
    }
}
