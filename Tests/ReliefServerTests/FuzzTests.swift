import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
@testable import ReliefServer
import Testing

/// Random and mutated requests at every route, in process (the router without sockets), for a
/// bounded number of iterations with a fixed seed (a failure replays). A trap anywhere in a
/// handler (overflow, out-of-range index, stack overflow) kills the test process: that the
/// suite finishes is the "no crash" assertion. Each answer must be an OGC exception when it is
/// not a success, never a 5xx; requests that are invalid by construction must get a 4xx.
@Suite("HTTP fuzz") struct FuzzTests {
    static let iterations = 3000

    /// Deterministic generator (SplitMix64).
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// JSON texts none of which is a valid value for any input of the processes.
    static let hostileScalars = [
        "9223372036854775807", "-9223372036854775808", "9223372036854775808", "9223372036854774784", "-9223372036854774784",
        "18446744073709551615", "1e308", "-1e308", "1e400", "-1e400", "123456789012345678901234567890",
        "\"NaN\"", "\"Infinity\"", "\"-Infinity\"", "\"nan\"", "NaN", "Infinity", "true", "false", "null", "\"\"",
        "\"../../etc/passwd\"", "\"/etc/passwd\"", "\"\\u0000\"", "{}", "[]", "{\"value\":null}", "{\"href\":\"file:///etc/passwd\"}",
    ]

    static func hostileValue(_ g: inout Generator, depth: Int = 0) -> String {
        switch Int.random(in: 0..<8, using: &g) {
        case 0, 1, 2: return hostileScalars.randomElement(using: &g)!
        case 3: // deep nesting, up to beyond any decoder's limit
            let n = [10, 100, 513, 2000, 20000].randomElement(using: &g)!
            return Bool.random(using: &g) ? String(repeating: "[", count: n) + String(repeating: "]", count: n)
                : String(repeating: "{\"a\":", count: n) + "1" + String(repeating: "}", count: n)
        case 4: // huge arrays of edge numbers or booleans
            let n = [4, 5, 1000, 6000].randomElement(using: &g)!
            let item = ["9223372036854775807", "true", "-1", "1e308", "\"NaN\"", "null"].randomElement(using: &g)!
            return "[" + Array(repeating: item, count: n).joined(separator: ",") + "]"
        case 5: // ROI-shaped arrays of edge values
            return "[" + (0..<4).map { _ in hostileScalars.prefix(12).randomElement(using: &g)! }.joined(separator: ",") + "]"
        case 6 where depth < 3:
            return "{" + (0..<Int.random(in: 0...3, using: &g)).map { _ in "\"\(["value", "x", "inputs", "roi"].randomElement(using: &g)!)\":\(hostileValue(&g, depth: depth + 1))" }.joined(separator: ",") + "}"
        default:
            return "[" + (0..<Int.random(in: 0...4, using: &g)).map { _ in hostileValue(&g, depth: depth + 1) }.joined(separator: ",") + "]"
        }
    }

    /// An execute body with one field (an input, a top-level key, an output option) made hostile.
    static func hostileBody(_ g: inout Generator, process: String) -> String {
        var inputs: [String: String] = process == "dsm"
            ? ["pair": "\"synthetic-pair\"", "height": "340", "heightMargin": "40", "roi": "[64,64,128,128]", "resolution": "1", "tile": "64"]
            : ["product": "\"synthetic-pair\"", "products": "[\"ortho\"]"]
        var top: [String: String] = [:]
        switch Int.random(in: 0..<6, using: &g) {
        case 0, 1, 2: inputs[inputs.keys.sorted().randomElement(using: &g)!] = hostileValue(&g)
        case 3: top[["outputs", "response", "subscriber", "inputs"].randomElement(using: &g)!] = hostileValue(&g)
        case 4: top["outputs"] = "{\"\(process == "dsm" ? "dsm" : "ortho")\":{\"transmissionMode\":\(["\"value\"", "1", "null", "[]"].randomElement(using: &g)!)}}"
        default: inputs[["colour", "dem", "path", "__proto__"].randomElement(using: &g)!] = hostileValue(&g)
        }
        if top["inputs"] == nil {
            top["inputs"] = "{" + inputs.sorted(by: { $0.key < $1.key }).map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "}"
        }
        return "{" + top.sorted(by: { $0.key < $1.key }).map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "}"
    }

    /// A valid body broken at the byte level: truncated, or a byte replaced or doubled. Such a
    /// body may still be valid JSON and even a valid request.
    static func mutatedBytes(_ g: inout Generator) -> (String, invalid: Bool) {
        var bytes = Array(String(buffer: dsmBody()).utf8)
        switch Int.random(in: 0..<3, using: &g) {
        case 0:
            bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &g)))
            return (String(decoding: bytes, as: UTF8.self), true)
        case 1:
            bytes[Int.random(in: 0..<bytes.count, using: &g)] = UInt8.random(in: 0...255, using: &g)
        default:
            let k = Int.random(in: 0..<bytes.count, using: &g)
            bytes.insert(bytes[k], at: k)
        }
        return (String(decoding: bytes, as: UTF8.self), false)
    }

    static func randomSegment(_ g: inout Generator) -> String {
        ["1", "0", "-1", "9223372036854775807", "9223372036854775808", "-9223372036854775808", "abc", "%00", "..", "%2e%2e", "1e3",
         String(repeating: "9", count: 300), "dsm", "pwh", "x%2Fy"].randomElement(using: &g)!
    }

    @Test func everyRouteSurvivesRandomAndMutatedRequests() async throws {
        let f = try await ServerFixture(requestsPerMinute: 1_000_000)
        defer { Task { await f.close() } }
        let app = makeApplication(api: f.api)
        let counts = try await app.test(.router) { client -> [Int: Int] in
            var g = Generator(state: 0x5EED_0019)
            var statuses: [Int: Int] = [:]
            for i in 0..<Self.iterations {
                var headers = f.headers(["alice", "alice", "alice", "carol", "dave", nil, "forged"].randomElement(using: &g)!)
                if Bool.random(using: &g) { headers[.range] = ["bytes=0-9223372036854775807", "bytes=-9223372036854775808", "bytes=5-1", "bytes=a-b", "bytes=0-0,1-1"].randomElement(using: &g)! }
                if Int.random(in: 0..<4, using: &g) == 0 { headers[HTTPField.Name("Idempotency-Key")!] = Self.randomSegment(&g) }
                let method: HTTPRequest.Method
                let uri: String
                var body: String?
                var invalid = true
                let id = Self.randomSegment(&g)
                switch i % 10 {
                case 0, 1, 2, 3:
                    method = .post
                    let process = ["dsm", "dsm", "pwh", id].randomElement(using: &g)!
                    uri = "/processes/\(process)/execution"
                    if i % 10 == 3 {
                        let (text, isInvalid) = Self.mutatedBytes(&g)
                        body = text
                        invalid = isInvalid
                    } else {
                        body = Self.hostileBody(&g, process: process == "pwh" ? "pwh" : "dsm")
                    }
                // Job 1 may exist (a mutated body can be a valid request): only other ids are invalid.
                case 4: (method, uri, invalid) = (.get, "/jobs/\(id)", id != "1")
                case 5: (method, uri, invalid) = (.delete, "/jobs/\(id)", id != "1")
                case 6: (method, uri, invalid) = (.get, "/jobs/\(id)/\(["results", "stac", "files/dsm.tif", "files/..%2F..%2Fetc"].randomElement(using: &g)!)", id != "1")
                case 7:
                    let (limit, offset) = (Self.randomSegment(&g), Self.randomSegment(&g))
                    (method, uri) = (.get, "/jobs?limit=\(limit)&offset=\(offset)")
                    invalid = !((1...1000).contains(Int(limit) ?? 0) && (0...1_000_000_000).contains(Int(offset) ?? -1))
                case 8: (method, uri, invalid) = (.get, "/processes/\(id)", !["dsm", "pwh"].contains(id))
                default:
                    (method, uri) = ([.get, .head, .put, .patch, .options].randomElement(using: &g)!, ["/", "/api", "/conformance", "/quota", "/processes", "/jobs/\(id)/files/\(id)"].randomElement(using: &g)!)
                    invalid = false
                }
                let r = try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
                let code = Int(r.status.code)
                statuses[code, default: 0] += 1
                #expect(code < 500, "iteration \(i): \(method) \(uri) \(body?.prefix(300) ?? "") -> \(code) \(String(buffer: r.body).prefix(300))")
                if invalid { #expect((400..<500).contains(code), "iteration \(i): \(method) \(uri) \(body?.prefix(300) ?? "") -> \(code)") }
                if code >= 400, method != .head {
                    let o = try? JSONSerialization.jsonObject(with: Data(buffer: r.body)) as? [String: Any]
                    #expect(o?["status"] as? Int == code && o?["type"] is String && o?["detail"] is String,
                            "iteration \(i): not an OGC exception: \(String(buffer: r.body).prefix(300))")
                }
            }
            return statuses
        }
        #expect(counts.values.reduce(0, +) == Self.iterations)
        // About 40 % of the requests are execute bodies, five in seven of them authenticated.
        #expect((counts[400] ?? 0) > Self.iterations / 5, "the bodies reached the parser: \(counts)")
        print("HTTP fuzz: \(Self.iterations) requests, statuses \(counts.sorted { $0.key < $1.key })")
    }
}
