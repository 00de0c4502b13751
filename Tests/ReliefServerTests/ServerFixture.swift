import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import ReliefQueue
@testable import ReliefServer
import Testing

/// A server over a fresh SQLite queue in a temporary folder: a catalogue holding the bundled
/// synthetic stereo pair (`testdata/stereo_*.tif`, copied) as product `synthetic-pair`, entities
/// `lab` (1000 km²) and `tiny` (0.001 km², less than the pair's 128 m x 128 m = 0.016 km²), and
/// users alice and bob (lab, user), carol (lab, referent), dave (tiny, user).
/// On `.postgres` the queue and the accounts are in a fresh PostgreSQL database.
final class ServerFixture: Sendable {
    let folder: String
    let queue: any JobQueue
    let accounts: any AccountStore
    let postgres: TestPostgresDatabase?
    let api: ProcessesAPI
    let tokens: [String: String]
    let outputRoot: String

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// `configure` changes the server's configuration before the API is made (its folders are
    /// under `folder`: `catalogue`, `outputs`).
    init(backend: StoreBackend = .sqlite, maxBodyBytes: Int = 64 * 1024, requestsPerMinute: Int = 600,
         configure: (_ config: inout ServerConfiguration, _ folder: String) throws -> Void = { _, _ in }) async throws {
        folder = NSTemporaryDirectory() + "relief-http-" + UUID().uuidString
        let fm = FileManager.default
        let catalogue = folder + "/catalogue", pair = catalogue + "/synthetic-pair"
        outputRoot = folder + "/outputs"
        for f in [pair, outputRoot, folder + "/queue", catalogue + "/single"] { try fm.createDirectory(atPath: f, withIntermediateDirectories: true) }
        for name in ["stereo_left.tif", "stereo_right.tif"] {
            try fm.copyItem(atPath: Self.repository + "/testdata/" + name, toPath: pair + "/" + name)
        }
        try fm.copyItem(atPath: Self.repository + "/testdata/stereo_left.tif", toPath: catalogue + "/single/only.tif")
        postgres = backend == .postgres ? try TestPostgresDatabase() : nil
        queue = try await openQueue(postgres?.url ?? folder + "/queue", policy: QueuePolicy(baseBackoff: 0.1))
        accounts = try await openAccountStore(queue: queue)
        try await accounts.addEntity("lab", quotaKm2: 1000)
        try await accounts.addEntity("tiny", quotaKm2: 0.001)
        var tokens: [String: String] = [:]
        for (user, entity, role) in [("alice", "lab", Account.Role.user), ("bob", "lab", .user), ("carol", "lab", .referent), ("dave", "tiny", .user)] {
            tokens[user] = try await accounts.addUser(user, entity: entity, role: role)
        }
        self.tokens = tokens
        var config = ServerConfiguration(catalogueRoot: catalogue, outputRoot: outputRoot)
        config.port = 0
        config.maxBodyBytes = maxBodyBytes
        config.requestsPerMinute = requestsPerMinute
        try configure(&config, folder)
        api = try ProcessesAPI(queue: queue, accounts: accounts, config: config)
    }

    func close() async {
        await queue.shutdown()
        postgres?.drop()
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// Runs `body` against the server listening on a free loopback port (a real HTTP client).
    func live<T: Sendable>(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> T) async throws -> T {
        let app = makeApplication(api: api)
        return try await app.test(.live) { client in try await body(client) }
    }

    func headers(_ user: String?) -> HTTPFields {
        var h: HTTPFields = [.contentType: "application/json"]
        if let user { h[.authorization] = "Bearer " + (tokens[user] ?? user) }
        return h
    }
}

/// A DSM execute body for the synthetic pair (heights 316-362 m above the ellipsoid).
/// A dsm execute body; `height` false: no height prior (measured from the images).
func dsmBody(pair: String = "synthetic-pair", roi: [Int]? = [64, 64, 128, 128], extra: String = "", height: Bool = true) -> ByteBuffer {
    let roiText = roi.map { ",\"roi\":\($0)" } ?? ""
    let heightText = height ? #","height":340,"heightMargin":40"# : ""
    return ByteBuffer(string: #"{"inputs":{"pair":"\#(pair)"\#(heightText)\#(roiText)\#(extra)}}"#)
}

/// The JSON object of a response body.
func object(_ r: TestResponse) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(buffer: r.body)) as? [String: Any], "not a JSON object: \(String(buffer: r.body))")
}
