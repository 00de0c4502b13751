import Foundation
@testable import ReliefServer
@testable import ReliefQueue
import Testing

@Suite("HTTP pieces") struct UnitTests {
    @Test func byteRanges() throws {
        #expect(try ByteRange.parse("bytes=0-15", size: 100) == ByteRange(start: 0, end: 15))
        #expect(try ByteRange.parse("bytes=90-", size: 100) == ByteRange(start: 90, end: 99))
        #expect(try ByteRange.parse("bytes=-10", size: 100) == ByteRange(start: 90, end: 99))
        #expect(try ByteRange.parse("bytes=50-500", size: 100) == ByteRange(start: 50, end: 99))
        #expect(try ByteRange.parse("bytes=0-1,5-6", size: 100) == nil)
        #expect(try ByteRange.parse(nil, size: 100) == nil)
        #expect(throws: APIError.self) { try ByteRange.parse("bytes=100-", size: 100) }
    }

    @Test func rateLimiterWindows() {
        let l = RateLimiter(perMinute: 2)
        #expect(l.admit("a", now: 600) == nil)
        #expect(l.admit("a", now: 610) == nil)
        #expect(l.admit("a", now: 619) == 41, "20 s of the window... 660 - 619")
        #expect(l.admit("b", now: 619) == nil, "per key")
        #expect(l.admit("a", now: 660) == nil, "a new minute")
    }

    @Test func tokensAreStoredHashed() async throws {
        let folder = NSTemporaryDirectory() + "relief-acc-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let queue = try SQLiteJobQueue(folder: folder)
        let store = try SQLiteAccountStore(queue: queue)
        try await store.addEntity("lab", quotaKm2: 10)
        let token = try await store.addUser("ann", entity: "lab", role: .referent)
        #expect(token.count == 64)
        await queue.shutdown()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: folder + "/queue.sqlite"))
        #expect(bytes.range(of: Data(token.utf8)) == nil, "the token itself is not stored")
    }

    @Test func revokedTokenIsRefused() async throws {
        let folder = NSTemporaryDirectory() + "relief-acc-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let queue = try SQLiteJobQueue(folder: folder)
        defer { Task { await queue.shutdown() } }
        let store = try SQLiteAccountStore(queue: queue)
        try await store.addEntity("lab", quotaKm2: 10)
        let token = try await store.addUser("ann", entity: "lab", role: .user)
        #expect(try await store.account(token: token) == Account(user: "ann", entity: "lab", role: .user))
        try await store.revoke(user: "ann")
        #expect(try await store.account(token: token) == nil)
    }
}

@Suite("HTTP timestamps") struct TimestampTests {
    @Test func iso8601UTC() {
        // 2026-11-25T20:00:00Z is 1795636800 s after 1970 (date -u -d @1795636800).
        #expect(iso8601(1_795_636_800.25) == "2026-11-25T20:00:00.250Z")
        #expect(iso8601(0) == "1970-01-01T00:00:00.000Z")
    }
}

/// A fanned-out DSM job (`waiting` for its tile jobs) reads as OGC `running`; a cancel of it as `dismissed`.
@Suite("OGC status of queue states") struct OGCStatusTests {
    @Test func waitingReadsAsRunning() {
        var job = Job(id: 1, kind: "dsm", payload: "{}", state: .waiting, priority: 0, attempts: 0, maxAttempts: 5, runAt: 0,
                      leaseOwner: nil, leaseExpiresAt: nil, cancelRequested: false, progress: 50, step: "tiles 2/4", lastError: nil,
                      result: nil, idempotencyKey: nil, parentID: nil, createdAt: 0, updatedAt: 0, finishedAt: nil)
        #expect(ogcStatus(job) == "running")
        job.state = .cancelled
        #expect(ogcStatus(job) == "dismissed")
    }
}
