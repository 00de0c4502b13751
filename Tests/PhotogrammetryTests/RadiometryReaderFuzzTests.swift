import Foundation
import Photogrammetry
import Testing

/// The radiometric metadata readers (`RadiometricMetadata.load`: DIMAP v2, Pléiades DIMAP v1.4,
/// OSSIM `.geom`) and the STAC fields read from the same files (`PWHSceneInfo.read`) fed mutated
/// real files, as the RPC readers are (`RPCReaderFuzzTests.mutate`): each read ends with an error
/// naming the file, or with values reflectance can use, never with a crash or a hang.
@Suite("Radiometric metadata readers on mutated files")
struct RadiometryReaderFuzzTests {
    /// Mutations per seed file (`FuzzBudget`); a few seconds for the whole suite.
    static let iterations = FuzzBudget.iterations(default: 60)

    /// The seeds: a DIMAP v2 document (always there), and the sample data's Pléiades DIMAP v1.4
    /// and OSSIM `.geom` files when `RELIEF_SAMPLE_DATA` is set. `bands`: the image bands, for
    /// the solar irradiances given on the command line (DIMAP v1.4 sensor products lack them).
    static func seeds() throws -> [(name: String, data: Data, bands: Int)] {
        var seeds = [("DIM_PHR1A_MS_TEST.XML", Data(RadiometryReflectanceTests.dimapV2().utf8), 4)]
        if SampleData.root != nil {
            for (relative, bands) in [(RadiometryReflectanceTests.msGeom, 4), ("cars_phr_ventoux/rpc/phr_ventoux/left_image.geom", 1),
                                      (RadiometryReflectanceTests.phrDimap, 1)] {
                let path = try SampleData.path(relative)
                seeds.append(((relative as NSString).lastPathComponent, try Data(contentsOf: URL(fileURLWithPath: path)), bands))
            }
        }
        return seeds
    }

    @Test("Truncations, byte changes, huge and non-finite numbers, deep nesting: an error naming the file or usable values")
    func mutations() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        var random = SplitMix64(seed: FuzzBudget.seed(default: 0x5EED_2027))
        var (errors, accepted, slowest) = (0, 0, 0.0)
        for (name, original, bands) in try Self.seeds() {
            let clean = folder + "/clean-" + name
            try original.write(to: URL(fileURLWithPath: clean))
            _ = try RadiometricMetadata.load(contentsOf: clean, solarIrradiance: Array(repeating: 1500, count: bands))
            for k in 0..<Self.iterations {
                let path = folder + "/\(k)-" + name
                try Data(RPCReaderFuzzTests.mutate([UInt8](original), &random)).write(to: URL(fileURLWithPath: path))
                let start = Date()
                for given in [nil, Array(repeating: 1500.0, count: bands)] {
                    do {
                        let m = try RadiometricMetadata.load(contentsOf: path, solarIrradiance: given)
                        #expect(Self.usable(m), "\(name) mutation \(k): unusable values accepted: \(m)")
                        let info = PWHSceneInfo.read(path, radiometry: m)
                        #expect(!info.datetime.isEmpty, "\(name) mutation \(k): no STAC datetime")
                        accepted += 1
                    } catch {
                        #expect("\(error)".contains(path), "\(name) mutation \(k): the error does not name the file: \(error)")
                        errors += 1
                    }
                }
                slowest = max(slowest, Date().timeIntervalSince(start))
                try? FileManager.default.removeItem(atPath: path)
            }
        }
        #expect(errors > 0 && accepted > 0, "\(errors) errors, \(accepted) accepted")
        #expect(slowest < 10, "a read took \(slowest) s")
        FuzzBudget.report("radiometry-readers", ["reads": errors + accepted, "errors": errors, "accepted": accepted,
                                                 "slowest_s": String(format: "%.3f", slowest)])
    }

    @Test("A damaged encoding declaration over bytes that are not UTF-8: refused, not handed to the XML parser (which traps)")
    func damagedDeclaration() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        // Found by the mutations above (seed 0x5EED_2027): the declaration's closing quote and a
        // letter of an element name replaced by bytes that are not UTF-8.
        let text = RadiometryReflectanceTests.dimapV2()
        var bytes = Array(text.utf8)
        let quote = try #require(text.range(of: "\"?>")).lowerBound.utf16Offset(in: text)   // ASCII: byte offsets
        let name = try #require(text.range(of: "<MISSION>")).lowerBound.utf16Offset(in: text)
        bytes[quote] = 0xF8
        bytes[name + 2] = 0xE2
        let path = folder + "/DIM_DAMAGED.XML"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(throws: RadiometryError.self) { try RadiometricMetadata.load(contentsOf: path) }
        // A well-formed single-byte declaration is still read (libxml2 converts it).
        let latin1 = RadiometryReflectanceTests.dimapV2().replacingOccurrences(of: "UTF-8", with: "ISO-8859-1")
            .replacingOccurrences(of: "<MISSION>PHR", with: "<MISSION>PH\u{E9}")
        try #require(latin1.data(using: .isoLatin1)).write(to: URL(fileURLWithPath: path))
        #expect(try RadiometricMetadata.load(contentsOf: path).bands.count == 4)
    }

    /// What `writeReflectance` needs: bands, finite positive gains and irradiances, finite
    /// biases, the Sun above the horizon, a day of the year.
    static func usable(_ m: RadiometricMetadata) -> Bool {
        !m.bands.isEmpty
            && m.bands.allSatisfy { $0.gain.isFinite && $0.gain > 0 && $0.bias.isFinite && $0.solarIrradiance.isFinite && $0.solarIrradiance > 0 }
            && m.sunElevation > 0 && m.sunElevation <= 90 && (1...366).contains(m.dayOfYear)
    }
}
