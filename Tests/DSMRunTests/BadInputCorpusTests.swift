import Foundation
import Testing

@Suite("dsm-run on bad input: clear errors, no crash, no file left or changed")
struct BadInputCorpusTests {
    @Test("The corpus has at least 80 cases over every subcommand")
    func coverage() {
        #expect(badInputCorpus.count >= 80)
        let commands = Set(badInputCorpus.map { $0.arguments.split(separator: " ").first.map(String.init) ?? "" })
        for command in ["info", "rpc", "ortho", "dsm", "match", "rasterize", "reflectance", "pansharpen", "pansharpen-wald",
                        "pwh", "compare", "make-sample"] {
            #expect(commands.contains(command), "no case for dsm-run \(command)")
        }
    }

    @Test("One case on the synthetic files", arguments: badInputCorpus.filter { !$0.needsData })
    func synthetic(_ row: Case) throws { try check(row) }

    @Test("One case on the sample data", .enabled(if: SampleData.root != nil, SampleData.skipMessage),
          arguments: badInputCorpus.filter(\.needsData))
    func sampleData(_ row: Case) throws { try check(row) }

    func check(_ row: Case) throws {
        let scratch = try makeTemporaryFolder("case")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let output = scratch + "/out"
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: false)
        try Fixtures.populate(output)
        let before = snapshot(output)
        let fixturesBefore = snapshot(Fixtures.folder)

        let arguments = row.arguments.split(separator: " ").map { Self.expand(String($0), output: output) }
        let r = try DSMRun.run(arguments, stdin: row.stdin, stderr: row.stderr, in: scratch)
        // Messages name the paths as given: compare with the placeholders put back.
        let text = r.text.replacingOccurrences(of: output + "/", with: "O/").replacingOccurrences(of: Fixtures.folder + "/", with: "F/")

        #expect(!r.signalled, "dsm-run was killed by signal \(r.status): \(text)")
        #expect(r.status == row.status, "exit status \(r.status), expected \(row.status): \(text)")
        #expect(text.contains(row.message), "no '\(row.message)' in: \(text)")
        let after = snapshot(output)
        let added = Set(after.keys).subtracting(before.keys).subtracting(row.creates)
        #expect(added.isEmpty, "new entries in the output folder: \(added.sorted())")
        for name in row.creates { #expect(after[name] != nil, "\(name) was not written: \(text)") }
        for (name, state) in before { #expect(after[name] == state, "\(name) was changed or removed") }
        #expect(snapshot(Fixtures.folder) == fixturesBefore, "the fixtures were changed")
    }

    /// `F/`, `O/`, `D/` at the start of a corpus argument or after its `=`; `''` is empty.
    static func expand(_ argument: String, output: String) -> String {
        if argument == "''" { return "" }
        let (head, value) = argument.hasPrefix("--") && argument.contains("=")
            ? (String(argument[...argument.firstIndex(of: "=")!]), String(argument[argument.index(after: argument.firstIndex(of: "=")!)...]))
            : ("", argument)
        let folders = ["F/": Fixtures.folder, "O/": output, "D/": SampleData.root ?? "/nonexistent"]
        for (marker, folder) in folders where value.hasPrefix(marker) {
            return head + folder + "/" + value.dropFirst(marker.count)
        }
        return argument
    }
}
