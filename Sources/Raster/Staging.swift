import Foundation
import Synchronization

/// The staging files and folders of this process (outputs being written under a temporary name
/// beside their final one), so that an interrupted run can remove its own and a later run can
/// remove those of runs that died, never those of a live one.
///
/// A staging name is `DIR/.NAME.TAG-PID-START-RANDOM` beside the output `DIR/NAME`: PID is the
/// process id and START its start time (clock ticks after boot, from `/proc/PID/stat`), so a
/// recycled process id is not mistaken for the run that left the file. Anything GDAL derives
/// from a staging name (`.ovr.tmp`, `.msk`) carries the same prefix.
public enum Staging {
    /// The start time of this process in clock ticks after boot, or 0 where `/proc` is missing.
    public static let processStart: UInt64 = startTime(of: getpid()) ?? 0

    /// `PID-START` of this process.
    public static var processTag: String { "\(getpid())-\(processStart)" }

    private static let live = Mutex<Set<String>>([])

    /// `DIR/.NAME.TAG-PID-START-RANDOM` beside `output`.
    public static func name(besideOutput output: String, tag: String) -> String {
        let folder = output.contains("/") ? String(output[..<output.lastIndex(of: "/")!]) : "."
        let file = (output as NSString).lastPathComponent
        let random = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        return "\(folder.isEmpty ? "/" : folder)/.\(file).\(tag)-\(processTag)-\(random)"
    }

    /// Records `path` (a file or folder) as this process's staging, removed by `removeAll()`.
    public static func register(_ path: String) { live.withLock { _ = $0.insert(path) } }

    /// Forgets `path` (renamed into place, or already removed).
    public static func unregister(_ path: String) { live.withLock { _ = $0.remove(path) } }

    /// The registered staging paths.
    public static var registered: [String] { live.withLock { Array($0) } }

    /// Removes every registered path and everything GDAL derived from it (`PATH.*`); returns
    /// how many were removed. For an interrupted run: called from the signal watcher.
    @discardableResult
    public static func removeAll() -> Int {
        // The set is kept: a second call catches a file created after the first (by a worker
        // that had registered it before).
        let paths = live.withLock { Array($0) }
        var removed = 0
        for path in paths {
            if remove(path) { removed += 1 }
            let folder = (path as NSString).deletingLastPathComponent
            let base = (path as NSString).lastPathComponent
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: folder.isEmpty ? "." : folder)) ?? []
            where entry.hasPrefix(base + ".") {
                if remove((folder as NSString).appendingPathComponent(entry)) { removed += 1 }
            }
        }
        return removed
    }

    /// Removes the staging entries beside `output` (any tag) left by processes that are no
    /// longer running; those of live processes, this one included, are kept. Returns the
    /// removed paths. Errors are ignored: a stale file that cannot be removed harms no one.
    @discardableResult
    public static func removeStale(besideOutput output: String) -> [String] {
        let folder = (output as NSString).deletingLastPathComponent
        let prefix = "." + (output as NSString).lastPathComponent + "."
        var removed: [String] = []
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: folder.isEmpty ? "." : folder)) ?? []
        where entry.hasPrefix(prefix) {
            guard let owner = owner(ofStagingName: String(entry.dropFirst(prefix.count))), !isRunning(owner) else { continue }
            let path = folder.isEmpty ? entry : (folder as NSString).appendingPathComponent(entry)
            if remove(path) { removed.append(path) }
        }
        return removed
    }

    /// The (pid, start) in `TAG-PID-START-RANDOM[...]`, or nil when the name is not of that form.
    static func owner(ofStagingName text: String) -> (pid: Int32, start: UInt64)? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 4, !parts[0].isEmpty, parts[0].allSatisfy({ $0.isLetter || $0 == "." }),
              let pid = Int32(parts[1]), pid > 0, let start = UInt64(parts[2]) else { return nil }
        return (pid, start)
    }

    /// Whether the process `pid` started at `start` still runs (a recycled pid with another
    /// start time does not count). Without `/proc`, any live process with that pid counts.
    static func isRunning(_ owner: (pid: Int32, start: UInt64)) -> Bool {
        if owner.pid == getpid() { return true }
        if kill(owner.pid, 0) != 0 && errno == ESRCH { return false }
        guard let start = startTime(of: owner.pid) else { return !FileManager.default.fileExists(atPath: "/proc/self/stat") }
        return owner.start == 0 || start == owner.start
    }

    /// Field 22 of `/proc/PID/stat` (start time in clock ticks after boot).
    static func startTime(of pid: Int32) -> UInt64? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        // Fields after the command name (which may hold spaces): state is field 3.
        let fields = text[text.index(after: close)...].split(separator: " ")
        return fields.count > 19 ? UInt64(fields[19]) : nil
    }

    private static func remove(_ path: String) -> Bool {
        (try? FileManager.default.removeItem(atPath: path)) != nil
    }
}
