import Foundation

/// Where requests may read and write: inputs only under the input roots, outputs only under the
/// output root. Every path is resolved (symlinks and `..`, with `realpath`) before it is compared,
/// so `../`, absolute paths elsewhere and symlinks pointing out are all rejected.
/// GDAL virtual paths (`/vsis3/...`, `/vsicurl/...`) are accepted only under an input root that is
/// itself such a prefix, and never with a `..` component.
public struct PathConfinement: Sendable {
    public let inputRoots: [String]
    public let outputRoot: String

    /// - Throws: `RequestError.invalid` when a root does not exist.
    public init(inputRoots: [String], outputRoot: String) throws {
        guard !inputRoots.isEmpty else { throw RequestError.invalid(field: "input roots", "at least one input root is needed") }
        self.inputRoots = try inputRoots.map { root in
            if root.hasPrefix("/vsi") { return root.hasSuffix("/") ? String(root.dropLast()) : root }
            guard let r = resolvePath(root) else { throw RequestError.invalid(field: "input root", "no such folder '\(root)'") }
            return r
        }
        guard let out = resolvePath(outputRoot) else { throw RequestError.invalid(field: "output root", "no such folder '\(outputRoot)'") }
        self.outputRoot = out
    }

    /// The resolved path of an existing input file (or folder, when `folder`: a product folder);
    /// relative paths are taken under the first input root.
    public func input(_ path: String, field: String, folder allowFolder: Bool = false) throws -> String {
        guard !path.isEmpty else { throw RequestError.invalid(field: field, "empty path") }
        if path.hasPrefix("/vsi") {
            let parts = path.split(separator: "/")
            guard !parts.contains(".."), inputRoots.contains(where: { $0.hasPrefix("/vsi") && path.hasPrefix($0 + "/") }) else {
                throw RequestError.outsideRoots(field: field, path: path, resolved: path, roots: inputRoots)
            }
            return path
        }
        let full = path.hasPrefix("/") ? path : (inputRoots.first(where: { !$0.hasPrefix("/vsi") }) ?? "/") + "/" + path
        guard let resolved = resolvePath(full) else { throw RequestError.missingFile(field: field, path: path) }
        guard inputRoots.contains(where: { isInside(resolved, $0) }) else {
            throw RequestError.outsideRoots(field: field, path: path, resolved: resolved, roots: inputRoots)
        }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: resolved, isDirectory: &isDir), allowFolder || !isDir.boolValue else {
            throw RequestError.missingFile(field: field, path: path)
        }
        return resolved
    }

    /// The resolved path of an output folder given relative to the output root (it may not exist
    /// yet: its deepest existing ancestor is resolved, the rest may not contain `..`).
    public func output(_ relative: String, field: String) throws -> String {
        guard !relative.isEmpty, !relative.hasPrefix("/") else {
            throw RequestError.invalid(field: field, "must be a relative path under the output root, got '\(relative)'")
        }
        var parts = relative.split(separator: "/").map(String.init)
        var tail: [String] = []
        while !parts.isEmpty, resolvePath(([outputRoot] + parts).joined(separator: "/")) == nil {
            tail.insert(parts.removeLast(), at: 0)
        }
        let existing = ([outputRoot] + parts).joined(separator: "/")
        guard let base = resolvePath(existing) else { throw RequestError.invalid(field: field, "output root \(outputRoot) is gone") }
        guard !tail.contains(".."), !tail.contains(".") else {
            throw RequestError.outsideRoots(field: field, path: relative, resolved: base + "/" + tail.joined(separator: "/"), roots: [outputRoot])
        }
        let resolved = ([base] + tail).joined(separator: "/")
        guard isInside(resolved, outputRoot), resolved != outputRoot else {
            throw RequestError.outsideRoots(field: field, path: relative, resolved: resolved, roots: [outputRoot])
        }
        return resolved
    }
}

/// `realpath(3)`: absolute, symlinks and `..` resolved; nil when the path does not exist.
func resolvePath(_ path: String) -> String? {
    guard let p = realpath(path, nil) else { return nil }
    defer { free(p) }
    return String(cString: p)
}

/// True when `path` is `root` or below it (both resolved).
func isInside(_ path: String, _ root: String) -> Bool {
    root == "/" || path == root || path.hasPrefix(root + "/")
}
