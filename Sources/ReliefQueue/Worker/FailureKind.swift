import Foundation
import Photogrammetry
import Raster

/// Whether a job's error can go away on another attempt. Errors of the request and its inputs
/// (bad values, no RPC, no overlap, nothing matched, an unreadable or unsupported image) come
/// back identical on every attempt: the job fails at once with the message. Errors of the
/// machine (reads and writes that failed, a full disk, a lost lease, a crash) may not: those
/// are retried after the back-off.
enum FailureKind {
    static func classify(_ error: any Error) -> JobFailure {
        switch error {
        case let e as JobFailure: return e
        case let e as DSMPipelineError:
            switch e {
            case .cancelled: return .cancelled
            case .invalidConfiguration, .noPoints: return .permanent("\(e)")
            // A tile that failed twice may have failed on I/O or memory: worth another attempt.
            case .tilesFailed: return .transient("\(e)")
            }
        case is GeometryError, is RPCError, is MatchingError, is RectificationError, is RequestError:
            return .permanent("\(error)")
        case let e as RasterError:
            switch e.kind {
            case .readFailed, .writeFailed, .createFailed, .commitFailed: return .transient("\(e)")
            default: return .permanent("\(e)")
            }
        case let e as DSMError:
            switch e {
            case .cannotRead, .writeFailed, .truncatedPLY: return .transient("\(e)")
            default: return .permanent("\(e)")
            }
        default:
            return .transient("\(error)")
        }
    }
}
