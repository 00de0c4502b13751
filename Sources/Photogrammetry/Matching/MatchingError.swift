/// What can go wrong when matching a stereo pair. Each case carries the inputs that were wrong.
public enum MatchingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The left and right images differ in size (the matcher works on rectified pairs of one size).
    case sizeMismatch(left: (width: Int, height: Int), right: (width: Int, height: Int))
    /// An image has no pixel.
    case emptyImage(width: Int, height: Int)
    /// `minimum > maximum`.
    case invalidDisparityRange(minimum: Int, maximum: Int)
    /// A parameter is outside what the kernels support; `reason` says which and why.
    case invalidParameter(name: String, reason: String)
    /// The cost volume of this tile would exceed the memory budget: tile it (see `matchTiled`).
    case volumeTooLarge(bytes: Int, limit: Int)

    public static func == (a: MatchingError, b: MatchingError) -> Bool { a.description == b.description }

    public var description: String {
        switch self {
        case let .sizeMismatch(l, r):
            return "left image is \(l.width)x\(l.height) but right image is \(r.width)x\(r.height): a rectified pair must have one size"
        case let .emptyImage(w, h):
            return "image is empty (\(w)x\(h))"
        case let .invalidDisparityRange(lo, hi):
            return "disparity range \(lo):\(hi) is empty (minimum > maximum)"
        case let .invalidParameter(name, reason):
            return "invalid matching parameter \(name): \(reason)"
        case let .volumeTooLarge(bytes, limit):
            return "cost volume needs \(bytes) bytes, over the \(limit)-byte budget: match by tiles"
        }
    }
}
