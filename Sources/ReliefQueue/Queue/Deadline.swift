import Synchronization

/// Runs `operation`, but gives up after `seconds`: throws `QueueError.database(... "timed out")`
/// and cancels it. A database operation must never hang a worker (a connection half-closed by a
/// server restart); the worker retries what throws.
func withDeadline<T: Sendable>(_ seconds: Double, _ what: String, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    let once = ResumeOnce<T>()
    return try await withCheckedThrowingContinuation { continuation in
        once.set(continuation)
        let work = Task {
            do { once.resume(.success(try await operation())) } catch { once.resume(.failure(error)) }
        }
        Task {
            try? await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
            if once.resume(.failure(QueueError.database(operation: what, underlying: "timed out after \(seconds) s"))) { work.cancel() }
        }
    }
}

/// A continuation resumed by whichever of the operation and the timer ends first.
final class ResumeOnce<T: Sendable>: Sendable {
    private let state = Mutex<CheckedContinuation<T, any Error>?>(nil)
    func set(_ c: CheckedContinuation<T, any Error>) { state.withLock { $0 = c } }
    /// True when this call resumed the continuation.
    @discardableResult
    func resume(_ result: Result<T, any Error>) -> Bool {
        guard let c = state.withLock({ s -> CheckedContinuation<T, any Error>? in let c = s; s = nil; return c }) else { return false }
        c.resume(with: result)
        return true
    }
}
