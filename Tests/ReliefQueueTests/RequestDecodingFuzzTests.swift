import Foundation
import Testing
@testable import ReliefQueue

/// `JobRequest.decode` and `validate(confinement:)` fed mutated valid requests (truncations, byte
/// changes, hostile numbers, values of the wrong type, deep nesting, huge arrays, fields removed
/// or repeated) for a bounded number of iterations with a fixed seed (a failure replays): each
/// text ends with a `RequestError` (a clear message) or a request whose canonical JSON decodes
/// to itself, never with a crash or a hang. `RELIEF_FUZZ_ITERATIONS` (per seed) and
/// `RELIEF_FUZZ_SEED` make the longer runs of `Benchmarks/fuzz-readers.sh`.
@Suite("Request decoding on mutated JSON")
struct RequestDecodingFuzzTests {
    static let iterations = ProcessInfo.processInfo.environment["RELIEF_FUZZ_ITERATIONS"].flatMap { Int($0) }.map { max(1, $0) } ?? 200
    static let seed = ProcessInfo.processInfo.environment["RELIEF_FUZZ_SEED"].flatMap { UInt64($0) } ?? 0x5EED_2028

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

    static let dsmFields = #""images":[{"path":"a.tif"},{"path":"b.tif","rpc":"b.tif"}],"roi":[64,64,128,128],"resolution":0.5,"height":{"value":340,"margin":40},"datum":"ellipsoid","outputs":["dsm"],"output":"jobs/one","tile":300"#

    /// Valid requests of every kind a user or a worker submits.
    static let seeds = [
        "{\"version\":1,\"kind\":\"dsm\"," + dsmFields + "}",
        #"{"version":1,"kind":"dsm","images":[{"path":"a.tif"},{"path":"b.tif"}],"dem":{"path":"a.tif","geoid":"b.tif"},"datum":"egm96","geoid":"b.tif","resolution":1}"#,
        #"{"version":1,"kind":"pwh","product":"product","outputs":["ortho","stac"],"dem":"a.tif","geoid":"b.tif","output":"p"}"#,
        "{\"version\":1,\"kind\":\"dsm-tile\",\"request\":{" + dsmFields + "},\"parent\":7,\"index\":0,\"count\":2,\"part\":[64,64,64,128],"
            + #""layout":{"originX":500000,"originY":4900000,"resolution":0.5,"width":100,"height":100,"epsg":32631,"lowerHeight":300,"#
            + #""upperHeight":380,"pairROIs":[[64,64,128,128]],"tileSize":64,"corrections":[[0,0],[0.5,-0.25]],"tileHeights":[[300,380],[300,380]],"#
            + #""metadata":{"HEIGHTS":"given"}},"folder":".relief-staging/fanout-7"}"#,
    ]

    static let hostile = [
        "9223372036854775807", "-9223372036854775808", "9223372036854775808", "18446744073709551615", "1e308", "-1e308", "1e400",
        "-0", "0", "-1", "0.0000001", "123456789012345678901234567890", "\"NaN\"", "NaN", "Infinity", "true", "null", "\"\"",
        "\"../../etc/passwd\"", "\"/etc/passwd\"", "\"\\u0000\"", "\"/vsicurl/http://x/../y\"", "{}", "[]", "[1,2,3]",
        "\"\\ud800\"", "\"é\"",
    ]

    /// One random mutation of a valid request text.
    static func mutate(_ text: String, _ g: inout Generator) -> String {
        var bytes = Array(text.utf8)
        switch Int.random(in: 0..<7, using: &g) {
        case 0:  // truncation
            bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &g)))
        case 1:  // a few bytes changed
            for _ in 0..<Int.random(in: 1...4, using: &g) { bytes[Int.random(in: 0..<bytes.count, using: &g)] = UInt8.random(in: 0...255, using: &g) }
        case 2, 3:  // one value (after a colon, or an array item) replaced
            let starts = bytes.indices.filter { bytes[$0] == UInt8(ascii: ":") || bytes[$0] == UInt8(ascii: ",") || bytes[$0] == UInt8(ascii: "[") }
            guard let at = starts.randomElement(using: &g).map({ $0 + 1 }), at < bytes.count else { break }
            var end = at
            var depth = 0
            while end < bytes.count {
                let b = bytes[end]
                if b == UInt8(ascii: "{") || b == UInt8(ascii: "[") { depth += 1 }
                if b == UInt8(ascii: "}") || b == UInt8(ascii: "]") { if depth == 0 { break }; depth -= 1 }
                if b == UInt8(ascii: ","), depth == 0 { break }
                end += 1
            }
            let replacement = Int.random(in: 0..<4, using: &g) == 0 ? nested(&g) : hostile.randomElement(using: &g)!
            bytes.replaceSubrange(at..<end, with: Array(replacement.utf8))
        case 4:  // deep nesting or a huge array at a random place
            let at = Int.random(in: 0...bytes.count, using: &g)
            bytes.insert(contentsOf: Array(nested(&g).utf8), at: at)
        case 5:  // a field removed
            let keys = fieldRanges(bytes)
            if let r = keys.randomElement(using: &g) { bytes.removeSubrange(r) }
        default:  // a field repeated
            let keys = fieldRanges(bytes)
            if let r = keys.randomElement(using: &g) { bytes.insert(contentsOf: Array(bytes[r]), at: r.lowerBound) }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func nested(_ g: inout Generator) -> String {
        let n = [10, 600, 5000, 50_000].randomElement(using: &g)!
        switch Int.random(in: 0..<3, using: &g) {
        case 0: return String(repeating: "[", count: n) + String(repeating: "]", count: n)
        case 1: return String(repeating: "{\"a\":", count: n) + "1" + String(repeating: "}", count: n)
        default: return "[" + Array(repeating: hostile.prefix(10).randomElement(using: &g)!, count: n).joined(separator: ",") + "]"
        }
    }

    /// The byte ranges `"key":value,` of the top-level fields.
    static func fieldRanges(_ bytes: [UInt8]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var depth = 0, inString = false, start = 1
        for (i, b) in bytes.enumerated() {
            if inString { if b == UInt8(ascii: "\"") && bytes[i - 1] != UInt8(ascii: "\\") { inString = false }; continue }
            switch b {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            case UInt8(ascii: ",") where depth == 1:
                ranges.append(start..<(i + 1))
                start = i + 1
            default: break
            }
        }
        return ranges
    }

    @Test("Mutated requests: a RequestError with a message, or a request that round-trips and validates or is refused")
    func mutations() throws {
        let base = try makeTemporaryFolder()
        defer { removeFolder(base) }
        let input = base + "/input", output = base + "/output"
        for d in [input, output, input + "/product"] { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) }
        for f in ["a.tif", "b.tif"] { FileManager.default.createFile(atPath: input + "/" + f, contents: Data([1])) }
        let confinement = try PathConfinement(inputRoots: [input], outputRoot: output)
        for text in Self.seeds {   // the seeds themselves are valid
            _ = try JobRequest.decode(text).validate(confinement: confinement)
        }
        var g = Generator(state: Self.seed)
        var (refused, decoded, valid, slowest) = (0, 0, 0, 0.0)
        for k in 0..<Self.iterations {
            for text in Self.seeds {
                let mutated = Self.mutate(text, &g)
                let start = Date()
                do {
                    let request = try JobRequest.decode(mutated)
                    decoded += 1
                    #expect(try JobRequest.decode(request.encoded()) == request, "iteration \(k): no round trip for \(mutated)")
                    do {
                        let (checked, _) = try request.validate(confinement: confinement)
                        #expect(try JobRequest.decode(checked.encoded()) == checked)
                        valid += 1
                    } catch let error as RequestError {
                        #expect(!error.description.isEmpty)
                    }
                } catch let error as RequestError {
                    #expect(!error.description.isEmpty)
                    refused += 1
                } catch {
                    Issue.record("iteration \(k): not a RequestError: \(error) for \(mutated.prefix(300))")
                }
                slowest = max(slowest, Date().timeIntervalSince(start))
            }
        }
        #expect(refused > 0 && valid > 0, "\(refused) refused, \(decoded) decoded, \(valid) valid")
        #expect(slowest < 10, "a request took \(slowest) s")
        print("FUZZ request-decoding texts=\(refused + decoded) refused=\(refused) decoded=\(decoded) valid=\(valid) slowest_s="
              + String(format: "%.3f", slowest))
    }
}
