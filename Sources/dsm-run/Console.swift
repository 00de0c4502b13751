import Foundation
import Raster
import Synchronization

/// The process's standard streams and stop signals, made safe for a long run:
/// - a closed stdin, stdout or stderr (`2>&-`) is reopened on /dev/null, so the next file the run
///   opens cannot take descriptor 2 and receive the progress lines;
/// - SIGPIPE is ignored, and writes that fail (`2>/dev/full`, a closed pipe, a full log disk)
///   are dropped instead of stopping the run;
/// - SIGINT and SIGTERM remove the run's own staging files (`Staging.removeAll()`), print one
///   line saying so (and what was kept), and exit with 128 + the signal (130, 143).
enum Console {
    /// Said after the stop line when set, e.g. the folder of `--keep-tiles`.
    nonisolated(unsafe) static var keptOnInterrupt: String?

    /// Call once, first thing in `main`.
    static func prepare() {
        for fd in Int32(0)...2 where fcntl(fd, F_GETFD) == -1 && errno == EBADF {
            let null = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY)
            if null >= 0, null != fd { dup2(null, fd); close(null) }
        }
        signal(SIGPIPE, SIG_IGN)
        // A parent may start us with stop signals blocked (a spawning thread's mask is inherited,
        // as with Foundation's Process): they would then never arrive.
        var stops = sigset_t()
        sigemptyset(&stops)
        sigaddset(&stops, SIGINT)
        sigaddset(&stops, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &stops, nil)
        SignalWatcher.start()
    }

    /// Call before the process exits on its own (an error or the end of the run): while a stop
    /// signal is being handled, waits for its handler to exit, so that the run's own error
    /// (often caused by the staging the handler removed) neither replaces the stop line and
    /// status nor races the removal.
    static func holdIfStopping() {
        guard SignalWatcher.stopping.load(ordering: .acquiring) else { return }
        while true { pause() }
    }

    /// Writes `text` to stderr; a failed write is ignored.
    static func error(_ text: String) { put(text, to: 2) }

    /// Writes `text` to stdout (unbuffered, after what `print` buffered); a failed write is ignored.
    static func output(_ text: String) {
        fflush(nil)  // every stdio output stream: what print buffered goes first
        put(text, to: 1)
    }

    private static func put(_ text: String, to fd: Int32) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return }
            bytes = bytes.dropFirst(n)
        }
    }
}

/// Turns SIGINT and SIGTERM into a clean stop: the handler only writes the signal number into a
/// pipe (async-signal-safe), and a dedicated thread reading it removes the staging files and
/// exits. That thread does the work whichever thread the signal interrupted.
private enum SignalWatcher {
    nonisolated(unsafe) static var pipeWrite: Int32 = -1
    /// Set by the signal handler itself (an atomic store is async-signal-safe), before the
    /// watcher thread wakes up.
    static let stopping = Atomic<Bool>(false)

    static func start() {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return }
        pipeWrite = fds[1]
        let readEnd = fds[0]
        _ = stopping.load(ordering: .relaxed)  // initialised here, not first in a signal handler
        for sig in [SIGINT, SIGTERM] {
            let previous = signal(sig) { number in
                SignalWatcher.stopping.store(true, ordering: .releasing)
                var byte = UInt8(truncatingIfNeeded: number)
                _ = write(SignalWatcher.pipeWrite, &byte, 1)
            }
            // A shell starts background jobs with SIGINT ignored (Ctrl-C is not for them): keep that.
            if sig == SIGINT, let previous, unsafeBitCast(previous, to: Int.self) == 1 { signal(SIGINT, SIG_IGN) }
        }
        let thread = Thread {
            var byte: UInt8 = 0
            while true {
                let n = read(readEnd, &byte, 1)
                if n == 1 { stop(signal: Int32(byte)) }
                if n == 0 || (n < 0 && errno != EINTR) { return }
            }
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Removes the staging files twice (a worker may have created one while the first pass ran),
    /// says what happened on one line and exits without running the workers further.
    private static func stop(signal sig: Int32) -> Never {
        var removed = Staging.removeAll()
        usleep(50_000)
        removed += Staging.removeAll()
        let name = sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "signal \(sig)"
        var line = "dsm-run: stopped by \(name); removed \(removed) staging file(s)"
        if let kept = Console.keptOnInterrupt { line += "; kept \(kept)" }
        Console.error(line + "\n")
        _exit(128 + sig)
    }
}
