import CGDAL
import Synchronization

/// Process-wide GDAL set-up: drivers registered once, and GDAL's own error and warning chatter
/// kept off stderr. Errors are read back by `GDALCall` through `CPLGetLastErrorMsg` (the message
/// is stored per thread before the handler runs); warnings are kept in a small ring for logs.
enum GDALEnvironment {
    private static let once: Void = {
        GDALAllRegister()
        CPLSetErrorHandler(reliefErrorHandler)
    }()

    /// Call before any GDAL use; cheap after the first time.
    static func ensureInitialized() { _ = once }
}

/// GDAL messages (warnings and errors) that GDAL emitted, most recent last, at most 64.
public enum GDALDiagnostics {
    static let ring = Mutex<[String]>([])

    /// The most recent GDAL warnings and errors, oldest first.
    public static func recentMessages() -> [String] { ring.withLock { $0 } }

    static func record(_ message: String) {
        ring.withLock { messages in
            messages.append(message)
            if messages.count > 64 { messages.removeFirst(messages.count - 64) }
        }
    }
}

private func reliefErrorHandler(_ cls: CPLErr, _ number: CPLErrorNum, _ message: UnsafePointer<CChar>?) {
    guard cls != CE_Debug, let message else { return }
    let level = cls == CE_Warning ? "warning" : "error"
    GDALDiagnostics.record("GDAL \(level) \(number): \(String(cString: message))")
}
