import Foundation
import Testing
@testable import ReliefQueue

/// Requests: strict decoding, value checks, and confinement of every path to the roots.
@Suite("Requests: validation and path confinement")
struct RequestValidationTests {
    /// input/ (a.tif, b.tif, link-out -> ../outside/secret.tif, dir-out -> ../outside), outside/secret.tif, output/ (escape -> ../outside).
    struct Roots {
        let base: String, input: String, output: String, outside: String
        let confinement: PathConfinement
        init() throws {
            base = try makeTemporaryFolder()
            input = base + "/input"; output = base + "/output"; outside = base + "/outside"
            for d in [input, output, outside] { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) }
            for f in [input + "/a.tif", input + "/b.tif", outside + "/secret.tif"] { FileManager.default.createFile(atPath: f, contents: Data([1])) }
            try FileManager.default.createSymbolicLink(atPath: input + "/link-out.tif", withDestinationPath: outside + "/secret.tif")
            try FileManager.default.createSymbolicLink(atPath: input + "/dir-out", withDestinationPath: outside)
            try FileManager.default.createSymbolicLink(atPath: output + "/escape", withDestinationPath: outside)
            confinement = try PathConfinement(inputRoots: [input], outputRoot: output)
        }
    }

    func dsm(_ a: String, _ b: String, output: String? = nil) -> JobRequest {
        .dsm(DSMRequest(images: [.init(path: a), .init(path: b)], height: .init(value: 340, margin: 40), output: output))
    }

    @Test("a valid request: paths resolved, output folder under the output root, round trip through JSON")
    func valid() throws {
        let r = try Roots()
        defer { removeFolder(r.base) }
        let (request, folder) = try dsm(r.input + "/a.tif", "b.tif", output: "jobs/one").validate(confinement: r.confinement)
        guard case .dsm(let d) = request else { Issue.record("not a dsm request"); return }
        #expect(d.images.map(\.path) == [r.input + "/a.tif", r.input + "/b.tif"])
        #expect(folder == r.output + "/jobs/one")
        #expect(try JobRequest.decode(request.encoded()) == request)
        #expect(request.idempotencyKey == (try JobRequest.decode(request.encoded())).idempotencyKey)
    }

    @Test("path escapes rejected", arguments: [
        ("../outside/secret.tif", "relative ../"),
        ("ABS_OUTSIDE", "absolute outside the roots"),
        ("link-out.tif", "symlink to a file outside"),
        ("dir-out/secret.tif", "path through a symlinked folder"),
        ("INPUT/../outside/secret.tif", "absolute with .."),
    ])
    func inputEscapes(_ path: String, _ what: String) throws {
        let r = try Roots()
        defer { removeFolder(r.base) }
        let p = path.replacingOccurrences(of: "ABS_OUTSIDE", with: r.outside + "/secret.tif").replacingOccurrences(of: "INPUT", with: r.input)
        #expect(throws: RequestError.self, "\(what)") { try dsm(p, "b.tif").validate(confinement: r.confinement) }
        do { _ = try dsm(p, "b.tif").validate(confinement: r.confinement) } catch {
            #expect("\(error)".contains("outside the allowed root"), "\(what): \(error)")
        }
    }

    @Test("output escapes rejected", arguments: ["../outside/x", "/tmp/x", "escape/x", "a/../../outside", "."])
    func outputEscapes(_ output: String) throws {
        let r = try Roots()
        defer { removeFolder(r.base) }
        #expect(throws: RequestError.self, "output \(output)") { try dsm("a.tif", "b.tif", output: output).validate(confinement: r.confinement) }
    }

    @Test("missing image named in the error")
    func missingImage() throws {
        let r = try Roots()
        defer { removeFolder(r.base) }
        #expect(throws: RequestError.missingFile(field: "images[1].path", path: "nope.tif")) {
            try dsm("a.tif", "nope.tif").validate(confinement: r.confinement)
        }
    }

    @Test("unknown fields, wrong version, unknown kind, missing fields rejected at decoding", arguments: [
        (#"{"version":1,"kind":"dsm","images":[{"path":"a"},{"path":"b"}],"height":{"value":1,"margin":1},"colour":"red"}"#, "colour"),
        (#"{"version":1,"kind":"dsm","images":[{"path":"a","band":2},{"path":"b"}],"height":{"value":1,"margin":1}}"#, "band"),
        (#"{"version":2,"kind":"dsm"}"#, "version 2"),
        (#"{"version":1,"kind":"ortho"}"#, "unknown request kind"),
        (#"{"kind":"dsm"}"#, "version"),
        (#"{"version":1,"kind":"pwh","outputs":["ortho"]}"#, "product"),
        (#"not json"#, "malformed"),
    ])
    func decoding(_ json: String, _ expected: String) {
        do {
            _ = try JobRequest.decode(json)
            Issue.record("accepted: \(json)")
        } catch {
            #expect("\(error)".contains(expected), "\(error)")
        }
    }

    @Test("absurd values rejected", arguments: [
        (DSMRequest(images: [.init(path: "a.tif")], height: .init(value: 340)), "exactly 2 images"),
        (DSMRequest(images: [.init(path: "a.tif"), .init(path: "b.tif")], roi: [0, 0, 0, 10], height: .init(value: 340)), "roi"),
        (DSMRequest(images: [.init(path: "a.tif"), .init(path: "b.tif")], roi: [0, 0, 100_000, 100_000], height: .init(value: 340)), "larger than any scene"),
        (DSMRequest(images: [.init(path: "a.tif"), .init(path: "b.tif")], roi: [-5, 0, 10, 10], height: .init(value: 340)), "roi"),
        (DSMRequest(images: [.init(path: "a.tif"), .init(path: "b.tif")], roi: [1, 2, 3], height: .init(value: 340)), "roi"),
        (DSMRequest(images: [.init(path: "a.tif"), .init(path: "b.tif")], resolution: 0, height: .init(value: 340)), "resolution"),
        (DSMRequest(images: [.init(path: "a.tif"), .init(path: "b.tif")], resolution: 1000, height: .init(value: 340)), "resolution"),
        (DSMRequest(images: [.init(path: "a.tif"), .init(path: "b.tif")], resolution: .nan, height: .init(value: 340)), "resolution"),
        (DSMRequest(images: [.init(path: "a.tif"), .init(path: "b.tif")], height: .init(value: 20_000)), "height.value"),
        (DSMRequest(images: [.init(path: "a.tif"), .init(path: "b.tif")], height: .init(value: 340), dem: .init(path: "dem.tif")),
         "at most one of height and dem"),
        (DSMRequest(images: [.init(path: "a.tif"), .init(path: "b.tif")], height: .init(value: 340), datum: "egm96"), "geoid"),
        (DSMRequest(images: [.init(path: "a.tif"), .init(path: "b.tif")], height: .init(value: 340), outputs: ["dsm", "mesh"]), "outputs"),
    ])
    func absurd(_ request: DSMRequest, _ expected: String) throws {
        let r = try Roots()
        defer { removeFolder(r.base) }
        do {
            _ = try JobRequest.dsm(request).validate(confinement: r.confinement)
            Issue.record("accepted: \(request)")
        } catch {
            #expect("\(error)".contains(expected), "\(error)")
        }
    }

    @Test("GDAL virtual paths only under a virtual input root, never with ..")
    func virtualPaths() throws {
        let r = try Roots()
        defer { removeFolder(r.base) }
        let c = try PathConfinement(inputRoots: [r.input, "/vsis3/bucket/"], outputRoot: r.output)
        #expect(try c.input("/vsis3/bucket/scene/a.tif", field: "image") == "/vsis3/bucket/scene/a.tif")
        #expect(throws: RequestError.self) { try c.input("/vsis3/other/a.tif", field: "image") }
        #expect(throws: RequestError.self) { try c.input("/vsis3/bucket/../other/a.tif", field: "image") }
        #expect(throws: RequestError.self) { try r.confinement.input("/vsicurl/https://example.org/a.tif", field: "image") }
    }

    @Test("pwh: outputs checked, product confined")
    func pwh() throws {
        let r = try Roots()
        defer { removeFolder(r.base) }
        #expect(throws: RequestError.self) { try JobRequest.pwh(PWHRequest(product: "a.tif", outputs: ["dsm"])).validate(confinement: r.confinement) }
        #expect(throws: RequestError.self) { try JobRequest.pwh(PWHRequest(product: "link-out.tif", outputs: ["ortho"])).validate(confinement: r.confinement) }
        let ok = try JobRequest.pwh(PWHRequest(product: "a.tif", outputs: ["ortho"])).validate(confinement: r.confinement)
        #expect(ok.outputFolder?.hasPrefix(r.output + "/pwh-") == true)
    }
}
