import Foundation

/// A write that failed because the file system is full (ENOSPC, or Foundation's "not enough
/// space"): said once, in the user's terms, with the file and the space left there, instead of
/// as a configuration error repeated for every tile that was being written.
public struct NoSpaceLeft: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file (or staging folder) being written.
    public var path: String
    /// What it holds, for the message ("the temporary points of /out/dsm.tif").
    public var what: String?

    public init(path: String, what: String? = nil) {
        self.path = path
        self.what = what
    }

    public var description: String {
        var text = "no space left on device writing \(path)"
        if let what { text += " (\(what))" }
        var info = statvfs()
        let folder = (path as NSString).deletingLastPathComponent
        if statvfs(folder.isEmpty ? "." : folder, &info) == 0 {
            text += String(format: "; %.1f MiB free there", Double(Int(info.f_bavail) * Int(info.f_frsize)) / 1_048_576)
        }
        return text
    }

    /// Whether `error` (or an error it wraps) says the file system is full.
    public static func isNoSpace(_ error: Error) -> Bool {
        if let cocoa = error as? CocoaError, cocoa.code == .fileWriteOutOfSpace { return true }
        if let posix = error as? POSIXError, posix.code == .ENOSPC { return true }
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain && ns.code == Int(ENOSPC) { return true }
        if ns.domain == NSCocoaErrorDomain && ns.code == CocoaError.fileWriteOutOfSpace.rawValue { return true }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? Error { return isNoSpace(underlying) }
        return false
    }
}

extension NoSpaceLeft: LocalizedError {
    public var errorDescription: String? { description }
}
