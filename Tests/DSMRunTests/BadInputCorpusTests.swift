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
        let fixturesAfter = snapshot(Fixtures.folder)
        #expect(fixturesAfter == fixturesBefore, "the fixtures were changed")
        Self.report(row, r, changed: before.contains { after[$0.key] != $0.value } || fixturesAfter != fixturesBefore,
                    added: !added.isEmpty, text: text)
    }

    /// With `DSMRUN_CORPUS_REPORT=FILE`, appends one line per case: its outcome (crash, destroyed
    /// input, leftovers, clear error, accepted, or wrong status/message), tab, the case, to count
    /// the outcomes of a build (e.g. an older one, through `DSMRUN_BINARY`).
    static func report(_ row: Case, _ r: DSMRun.Result, changed: Bool, added: Bool, text: String) {
        guard let file = ProcessInfo.processInfo.environment["DSMRUN_CORPUS_REPORT"], !file.isEmpty else { return }
        let outcome = if r.signalled { "crash" } else if changed { "destroyed input" } else if added { "leftovers" }
            else if r.status == row.status && text.contains(row.message) { row.status == 0 ? "accepted and correct" : "clear error" }
            else if r.status == 0 { "accepted, should be refused" } else { "other status or message" }
        let line = "\(outcome)\t\(row.testDescription)\t\(text.split(separator: "\n").first ?? "")\n"
        let fd = open(file, O_WRONLY | O_APPEND | O_CREAT, 0o644)
        guard fd >= 0 else { return }
        _ = line.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count - 1) }
        close(fd)
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
