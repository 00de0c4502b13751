import ArgumentParser
import Foundation
import Raster

/// The files one command reads and writes, checked against each other before any work:
/// - every input exists and is readable (GDAL virtual paths such as `/vsicurl/...` excepted);
/// - every output's folder exists and takes a new file (a probe file is created and removed:
///   permissions, read-only mounts and pseudo file systems such as /proc all fail it);
/// - no output is an input or another output of the run: paths are compared after resolving
///   symbolic links and `..`, and existing files by device and inode (hard links).
/// Each refusal is one `ValidationError` naming the option.
struct RunFiles {
    enum Kind { case file, folder }

    private var inputs: [(option: String, path: String)] = []
    private var outputs: [(option: String, path: String, kind: Kind)] = []
    private var distinctPairs: [(first: String, second: String)] = []

    /// Records an input (nil: the option was not given).
    mutating func input(_ option: String, _ path: String?) {
        if let path { inputs.append((option, path)) }
    }

    /// Records an output file or folder (nil: the option was not given). A folder output may be
    /// missing (it is created), but then its nearest existing parent must take a new entry.
    mutating func output(_ option: String, _ path: String?, kind: Kind = .file) {
        if let path { outputs.append((option, path, kind)) }
    }

    /// Requires the inputs of options `second` and `first` to be different files (a stereo
    /// pair of one image, a PAN given as its own MS).
    mutating func distinct(_ second: String, from first: String) { distinctPairs.append((first, second)) }

    func check() throws {
        for (option, path) in inputs where !Self.isVirtual(path) {
            guard !path.isEmpty else { throw ValidationError("\(option): empty path") }
            var info = stat()
            guard stat(path, &info) == 0 else {
                throw ValidationError("\(option): cannot open \(path): \(String(cString: strerror(errno)))")
            }
            guard access(path, R_OK) == 0 else { throw ValidationError("\(option): cannot read \(path): permission denied") }
        }
        var seen: [(option: String, identity: Identity)] = []
        for (option, path) in inputs where !Self.isVirtual(path) {
            seen.append((option, Identity(path)))
        }
        for (first, second) in distinctPairs {
            guard let a = seen.first(where: { $0.option == first }), let b = seen.first(where: { $0.option == second }) else { continue }
            if a.identity.sameFile(as: b.identity) { throw ValidationError("\(second) is the same file as \(first): give two different images") }
        }
        for (option, path, kind) in outputs {
            guard !path.isEmpty else { throw ValidationError("\(option): empty path") }
            guard !Self.isVirtual(path) else { continue }
            try Self.checkPlace(option: option, path: path, kind: kind)
            let identity = Identity(path)
            if let other = seen.first(where: { $0.identity.sameFile(as: identity) }) {
                let what = inputs.contains { $0.option == other.option } ? "an input" : "another output"
                throw ValidationError("\(option): \(path) is \(what) of this run (\(other.option)); "
                                      + "choose another name, an output never replaces an input")
            }
            seen.append((option, identity))
        }
    }

    /// GDAL virtual file systems and URLs: not checked here (GDAL says what is wrong with them).
    static func isVirtual(_ path: String) -> Bool { path.hasPrefix("/vsi") || path.contains("://") }

    /// The output's folder exists (or, for a folder output, its nearest existing parent) and
    /// takes a new entry; the output is not of the other kind (a folder where a file goes).
    private static func checkPlace(option: String, path: String, kind: Kind) throws {
        var info = stat()
        let exists = stat(path, &info) == 0
        let isFolder = exists && Self.isFolder(info)
        switch kind {
        case .file:
            if isFolder { throw ValidationError("\(option): \(path) is a folder; give a file name") }
            if exists, !Self.isRegularFile(info) {
                throw ValidationError("\(option): \(path) exists and is not a regular file")
            }
            let folder = parent(of: path)
            var folderInfo = stat()
            guard stat(folder, &folderInfo) == 0 else { throw ValidationError("\(option): the folder \(folder) does not exist") }
            guard Self.isFolder(folderInfo) else { throw ValidationError("\(option): \(folder) is not a folder") }
            try probe(option: option, folder: folder, name: path)
        case .folder:
            if exists, !isFolder { throw ValidationError("\(option): \(path) exists and is not a folder") }
            if isFolder { try probe(option: option, folder: path, name: path + "/probe"); return }
            var ancestor = parent(of: path)
            while stat(ancestor, &info) != 0, ancestor != "/", ancestor != "." { ancestor = parent(of: ancestor) }
            guard Self.isFolder(info) else { throw ValidationError("\(option): \(ancestor) is not a folder") }
            try probe(option: option, folder: ancestor, name: ancestor + "/" + (path as NSString).lastPathComponent)
        }
    }

    /// Creates and removes a staging-named empty file in `folder` (named after `name`).
    private static func probe(option: String, folder: String, name: String) throws {
        let file = Staging.name(besideOutput: folder + "/" + (name as NSString).lastPathComponent, tag: "probe")
        let fd = open(file, O_CREAT | O_EXCL | O_WRONLY, 0o600)
        guard fd >= 0 else {
            throw ValidationError("\(option): cannot write in the folder \(folder): \(String(cString: strerror(errno)))")
        }
        close(fd)
        unlink(file)
    }

    static func isFolder(_ info: stat) -> Bool { info.st_mode & mode_t(S_IFMT) == mode_t(S_IFDIR) }
    static func isRegularFile(_ info: stat) -> Bool { info.st_mode & mode_t(S_IFMT) == mode_t(S_IFREG) }

    static func parent(of path: String) -> String {
        let folder = (path as NSString).deletingLastPathComponent
        return folder.isEmpty ? "." : folder
    }

    /// Where a path leads: its resolved absolute path (through links and `..`, also the
    /// link itself when it is one) and, when it exists, its device and inode.
    struct Identity {
        var paths: Set<String> = []
        var node: (device: UInt64, inode: UInt64)?

        init(_ path: String) {
            var info = stat()
            if stat(path, &info) == 0 { node = (UInt64(info.st_dev), UInt64(info.st_ino)) }
            if let full = RunFiles.resolved(path) { paths.insert(full) }
            // The entry itself, its folder resolved (a link is replaced, not followed, by a rename).
            if let folder = RunFiles.resolved(RunFiles.parent(of: path)) {
                paths.insert(folder + "/" + (path as NSString).lastPathComponent)
            }
        }

        func sameFile(as other: Identity) -> Bool {
            if let a = node, let b = other.node, a == b { return true }
            return !paths.isDisjoint(with: other.paths)
        }
    }

    /// `realpath(3)` of `path`, or of its folder plus its name when it does not exist yet.
    static func resolved(_ path: String) -> String? {
        if let p = realpath(path, nil) {
            defer { free(p) }
            return String(cString: p)
        }
        let name = (path as NSString).lastPathComponent
        guard name != ".." && name != ".", let p = realpath(parent(of: path), nil) else { return nil }
        defer { free(p) }
        let folder = String(cString: p)
        return (folder == "/" ? "" : folder) + "/" + name
    }
}
