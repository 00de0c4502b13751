import Foundation
import Testing

/// Outputs on a 200 KiB tmpfs (mounted by the test: needs root and a mount namespace that allows
/// it; skipped with a message otherwise): a clear error naming the disk, nothing left on it.
@Suite("dsm-run on a full disk", .serialized,
       .enabled(if: Tmpfs.folder != nil, "cannot mount a tmpfs here (not root?): skipping the disk-full cases"))
struct DiskFullTests {
    @Test("Each output on the full disk: exit 1, the message says the disk is full, once; the disk as before", arguments: [
        ("ortho F/S.tif -o T/o.tif --height 500 --resolution 0.05", "not enough disk space"),
        ("ortho F/S.tif -o T/o.tif --height 500 --resolution 0.05 --format gtiff", "the disk is full"),
        // One tile: its points fit, the DSM is refused before it is staged.
        ("dsm F/L.tif F/R.tif -o T/d.tif --height 340 --height-margin 40 --roi 64,64,64,64 --tile-size 64 --resolution 0.05",
         "not enough disk space"),
        // Sixteen tiles, two at once: the first that finds the disk full stops the run.
        ("dsm F/L.tif F/R.tif -o T/d.tif --height 340 --height-margin 40 --roi 0,0,256,256 --tile-size 64 --threads 2 --resolution 0.05",
         "no space left on device writing"),
    ])
    func full(_ arguments: String, _ message: String) throws {
        let folder = try #require(Tmpfs.folder)
        try #require(Tmpfs.mount(folder))
        defer { Tmpfs.unmount(folder) }
        let scratch = try makeTemporaryFolder("diskfull")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let expanded = arguments.split(separator: " ").map {
            $0.hasPrefix("T/") ? folder + "/" + $0.dropFirst(2) : BadInputCorpusTests.expand(String($0), output: scratch)
        }
        let r = try DSMRun.run(expanded, in: scratch)
        #expect(!r.signalled && r.status == 1, "\(r.text)")
        #expect(r.err.contains(message), "\(r.err)")
        #expect(r.err.components(separatedBy: message).count == 2, "said more than once: \(r.err)")
        #expect(!r.err.contains("invalid configuration"), "\(r.err)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty, "left on the full disk")
    }
}

/// A 200 KiB tmpfs mount point for the disk-full cases.
enum Tmpfs {
    /// The folder, when a tmpfs could be mounted on it (then unmounted); nil otherwise.
    static let folder: String? = {
        guard getuid() == 0, let folder = try? makeTemporaryFolder("tmpfs") else { return nil }
        guard mount(folder) else { try? FileManager.default.removeItem(atPath: folder); return nil }
        unmount(folder)
        atexit { if let folder = Tmpfs.folder { rmdir(folder) } }
        return folder
    }()

    static func mount(_ folder: String) -> Bool {
        run("/bin/mount", ["-t", "tmpfs", "-o", "size=200k", "tmpfs", folder]) == 0
    }

    static func unmount(_ folder: String) { _ = run("/bin/umount", [folder]) }

    private static func run(_ tool: String, _ arguments: [String]) -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = arguments
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return -1 }
        p.waitUntilExit()
        return p.terminationStatus
    }
}
