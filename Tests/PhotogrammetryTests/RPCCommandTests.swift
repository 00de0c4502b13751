import Foundation
import Photogrammetry
import Testing

/// `dsm-run rpc project|localize`, run as a process: the binary is built next to the test bundle
/// by `swift test` (all products are built).
@Suite("RPC command line (dsm-run rpc)", .enabled(if: SampleData.root != nil, SampleData.skipMessage))
struct RPCCommandTests {
    static func run(_ arguments: [String], stdin: String) throws -> (status: Int32, out: String, err: String) {
        try DSMRunProcess.run(arguments, stdin: stdin)
    }

    @Test("project and localize print the library's values in full double precision")
    func projectAndLocalize() throws {
        let path = try SampleData.path("rpc_formats/shareloc/RPC_PHR1B_P_201709281038393_SEN_PRG_FC_178609-001.XML")
        let model = try RPCModel(contentsOf: path)
        let ground = [(7.048662660737769592, 43.72774839443545858, 0.0), (7.2, 43.68, 812.5)]
        let projected = try Self.run(["rpc", "project", path], stdin: ground.map { "\($0.0) \($0.1) \($0.2)" }.joined(separator: "\n") + "\n")
        #expect(projected.status == 0, "\(projected.err)")
        let lines = projected.out.split(separator: "\n")
        #expect(lines.count == 2)
        for (line, g) in zip(lines, ground) {
            let values = line.split(separator: " ").compactMap { Double($0) }
            let p = model.projection(longitude: g.0, latitude: g.1, height: g.2)
            // Printed with Swift's shortest round-trip form: parsing gives the same Double.
            #expect(values == [p.column, p.row])
        }
        let localized = try Self.run(["rpc", "localize", path], stdin: "# col row h\n100 200 0\n\n20000.25 11000 500\n")
        #expect(localized.status == 0, "\(localized.err)")
        let l = localized.out.split(separator: "\n").map { $0.split(separator: " ").compactMap { Double($0) } }
        let g = try model.localization(column: 20000.25, row: 11000, height: 500)
        #expect(l.count == 2 && abs(l[1][0] - g.longitude) < 1e-12 && abs(l[1][1] - g.latitude) < 1e-12)
    }

    @Test("bad input and files without RPC fail with a message")
    func errors() throws {
        let path = try SampleData.path("rpc_formats/shareloc/PHR1B_P_201709281038393_SEN_PRG_FC_178609-001.tif")
        let bad = try Self.run(["rpc", "project", path], stdin: "1 2\n")
        #expect(bad.status != 0 && bad.err.contains("line 1"))
        let fake = try SampleData.path("rpc_formats/shareloc/fake_rpc.txt")
        let none = try Self.run(["rpc", "localize", fake], stdin: "1 2 3\n")
        #expect(none.status != 0 && none.err.contains("no RPC model found"))
        let help = try Self.run(["rpc", "project", "--help"], stdin: "")
        #expect(help.out.contains("0-based pixel centres") && help.out.contains("shareloc"))
    }
}
