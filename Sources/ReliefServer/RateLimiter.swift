import Foundation
import Synchronization

/// Requests per key (a token's hash) per minute, in fixed one-minute windows. Memory: one entry
/// per key seen in the current window (older windows are dropped when a new one starts).
final class RateLimiter: Sendable {
    let perMinute: Int
    private let state = Mutex<(window: Int, counts: [String: Int])>((0, [:]))

    init(perMinute: Int) { self.perMinute = perMinute }

    /// Counts one request; returns the seconds until the window ends when over the limit, else nil.
    func admit(_ key: String, now: Double = Date().timeIntervalSince1970) -> Int? {
        let window = Int(now / 60)
        return state.withLock { s in
            if s.window != window { s = (window, [:]) }
            let n = (s.counts[key] ?? 0) + 1
            s.counts[key] = n
            return n > perMinute ? max(1, Int(Double(window + 1) * 60 - now)) : nil
        }
    }
}
