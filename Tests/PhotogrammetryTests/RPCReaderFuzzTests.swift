import Foundation
import Photogrammetry
import Raster
import Testing

/// The RPC readers fed mutated real files (truncations, byte changes, huge or non-finite
/// numbers, deep nesting) for a bounded number of iterations: each read ends with an error or a
/// model whose values are usable (finite, scales not zero), never with a crash or a hang.
@Suite("RPC readers on mutated files")
struct RPCReaderFuzzTests {
    /// Mutations per seed file; the whole suite stays within a few seconds (`FuzzBudget`).
    static let iterations = FuzzBudget.iterations(default: 60)

    /// The seeds: the synthetic left view's RPC as RPC00B text (always there), and the text
    /// formats of the sample data when `RELIEF_SAMPLE_DATA` is set.
    static func seeds() throws -> [(name: String, data: Data)] {
        let image = SampleSceneTests.testdata + "/stereo_left.tif"
        let rpc = try Dataset(path: image).metadata(domain: "RPC")
        // RPC00B text (the `_RPC.TXT` sidecar form): scalars, then each coefficient on its own line.
        var lines: [String] = []
        for (key, value) in rpc.sorted(by: { $0.key < $1.key }) {
            let values = value.split(separator: " ")
            if values.count == 20 {
                for (k, v) in values.enumerated() { lines.append("\(key)_\(k + 1): \(v)") }
            } else {
                lines.append("\(key): \(value)")
            }
        }
        let text = lines.joined(separator: "\n") + "\n"
        var seeds = [("left_RPC.TXT", Data(text.utf8))]
        if SampleData.root != nil {
            for relative in ["rpc_formats/rpcm/rpc_IKONOS.txt", "rpc_formats/rpcm/rpc_PLEIADES.xml", "rpc_formats/rpcm/rpc_WV3.xml",
                             "rpc_formats/rpcm/JAX_068_001_RGB.json",
                             "rpc_formats/shareloc/PHR1B_P_201709281038393_SEN_PRG_FC_178609-001.geom",
                             "rpc_formats/shareloc/RPC_PHR1B_P_201709281038393_SEN_PRG_FC_178609-001.XML"] {
                let path = try SampleData.path(relative)
                seeds.append(((relative as NSString).lastPathComponent, try Data(contentsOf: URL(fileURLWithPath: path))))
            }
        }
        return seeds
    }

    @Test("Truncations, byte changes, huge and non-finite numbers, deep nesting: an error or a usable model")
    func mutations() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        var random = SplitMix64(seed: FuzzBudget.seed(default: 0x5EED_2026))
        var slowest = 0.0
        var (errors, models) = (0, 0)
        for (name, original) in try Self.seeds() {
            // The unmutated seed reads (so the mutations start from a valid file).
            let clean = folder + "/clean-" + name
            try original.write(to: URL(fileURLWithPath: clean))
            _ = try RPCModel(contentsOf: clean)
            for k in 0..<Self.iterations {
                let bytes = Self.mutate([UInt8](original), &random)
                let path = folder + "/\(k)-" + name
                try Data(bytes).write(to: URL(fileURLWithPath: path))
                let start = Date()
                defer { slowest = max(slowest, Date().timeIntervalSince(start)) }
                do {
                    let model = try RPCModel(contentsOf: path)
                    let c = model.coefficients
                    #expect(c.allValues.allSatisfy { $0.isFinite }, "\(name) mutation \(k): non-finite values accepted")
                    #expect([c.lineScale, c.sampleScale, c.latitudeScale, c.longitudeScale, c.heightScale].allSatisfy { $0 != 0 },
                            "\(name) mutation \(k): a zero scale accepted")
                    models += 1
                } catch {
                    #expect(!"\(error)".isEmpty)
                    errors += 1
                }
                try? FileManager.default.removeItem(atPath: path)
            }
        }
        // Both outcomes occur: the mutations neither all break the files nor all miss them.
        #expect(errors > 0 && models > 0, "\(errors) errors, \(models) models")
        #expect(slowest < 10, "a read took \(slowest) s")
        FuzzBudget.report("rpc-readers", ["reads": errors + models, "errors": errors, "models": models,
                                          "slowest_s": String(format: "%.3f", slowest)])
    }

    /// One random mutation of `bytes`.
    static func mutate(_ bytes: [UInt8], _ random: inout SplitMix64) -> [UInt8] {
        var b = bytes
        switch Int.random(in: 0..<5, using: &random) {
        case 0:  // truncation
            b = Array(b.prefix(Int.random(in: 0..<max(1, b.count), using: &random)))
        case 1:  // a few bytes changed
            for _ in 0..<Int.random(in: 1...8, using: &random) where !b.isEmpty {
                b[Int.random(in: 0..<b.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            }
        case 2:  // a number replaced by a huge or non-finite one
            let digits = b.indices.filter { b[$0] >= 0x30 && b[$0] <= 0x39 }
            if let at = digits.randomElement(using: &random) {
                let replacement = ["1e308", "-1e308", "nan", "inf", "-inf", "99999999999999999999999", "0", "1e-320"]
                    .randomElement(using: &random)!
                var end = at
                while end < b.count, (b[end] >= 0x30 && b[end] <= 0x39) || b[end] == 0x2E || b[end] == 0x65 || b[end] == 0x2D { end += 1 }
                b.replaceSubrange(at..<end, with: Array(replacement.utf8))
            }
        case 3:  // deep nesting at a random place
            let opener = b.first == UInt8(ascii: "{") ? "[" : b.first == UInt8(ascii: "<") ? "<a>" : "LINE_OFF: "
            let at = Int.random(in: 0...b.count, using: &random)
            b.insert(contentsOf: Array(String(repeating: opener, count: 5_000).utf8), at: at)
        default:  // a line duplicated or removed
            let lines = b.split(separator: 0x0A, omittingEmptySubsequences: false)
            guard lines.count > 1 else { break }
            var kept = lines.map(Array.init)
            let k = Int.random(in: 0..<kept.count, using: &random)
            if Bool.random(using: &random) { kept.remove(at: k) } else { kept.insert(kept[k], at: k) }
            b = Array(kept.joined(separator: [0x0A]))
        }
        return b
    }
}
