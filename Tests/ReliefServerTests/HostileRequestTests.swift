import Foundation
import HummingbirdTesting
import NIOCore
@testable import ReliefServer
import Testing

/// The cases of a catalogue client's review, replayed: each request is refused with a 400 that
/// names the problem, the server keeps serving, and no refusal shows a server path or a flag.
@Suite("Hostile and loose requests") struct HostileRequestTests {
    /// POSTs an execute body; returns the status and the exception's detail.
    static func execute(_ client: any TestClientProtocol, _ f: ServerFixture, _ body: String, user: String = "alice") async throws -> (Int, String) {
        let r = try await client.execute(uri: "/processes/dsm/execution", method: .post, headers: f.headers(user), body: ByteBuffer(string: body))
        let o = try object(r)
        return (Int(r.status.code), o["detail"] as? String ?? "")
    }

    @Test func roiNearInt64MaxIsA400AndTheServerLives() async throws {
        let f = try await ServerFixture()
        defer { Task { await f.close() } }
        try await f.live { client in
            for roi in ["[9223372036854774784,0,200000,200]", "[0,9223372036854774784,200,200000]", "[200000,0,9223372036854775807,1]",
                        "[-1,0,10,10]", "[0,0,0,10]", "[0,0,200001,1]", "[1.5,0,10,10]", "[0,0,10]", "[0,0,10,10,10]", "[1e300,0,10,10]"] {
                let (status, detail) = try await Self.execute(client, f, #"{"inputs":{"pair":"synthetic-pair","height":340,"roi":\#(roi)}}"#)
                #expect(status == 400, "\(roi): \(status) \(detail)")
                #expect(detail.contains("roi"), "\(roi): \(detail)")
            }
            #expect(try await client.execute(uri: "/quota", method: .get, headers: f.headers("alice")).status == .ok, "still serving")
        }
    }

    @Test func booleansAreNotNumbers() async throws {
        let f = try await ServerFixture()
        defer { Task { await f.close() } }
        try await f.live { client in
            var (status, detail) = try await Self.execute(client, f, #"{"inputs":{"pair":"synthetic-pair","height":true}}"#)
            #expect(status == 400 && detail.contains("'height' must be a number, got true"), "\(detail)")
            (status, detail) = try await Self.execute(client, f, #"{"inputs":{"pair":"synthetic-pair","height":340,"roi":[true,true,true,true]}}"#)
            #expect(status == 400 && detail.contains("input 'roi' must be"), "\(detail)")
            (status, detail) = try await Self.execute(client, f, #"{"inputs":{"pair":"synthetic-pair","height":"NaN"}}"#)
            #expect(status == 400 && detail.contains("must be a number"), "\(detail)")
            (status, detail) = try await Self.execute(client, f, #"{"inputs":{"pair":"synthetic-pair","height":340,"tile":64.5}}"#)
            #expect(status == 400 && detail.contains("'tile' must be an integer"), "\(detail)")
            (status, detail) = try await Self.execute(client, f, #"{"inputs":{"pair":"synthetic-pair","height":340,"resolution":false}}"#)
            #expect(status == 400 && detail.contains("'resolution' must be a number"), "\(detail)")
            (status, detail) = try await Self.execute(client, f, #"{"inputs":{"pair":true,"height":340}}"#)
            #expect(status == 400 && detail.contains("'pair' must be a string"), "\(detail)")
            (status, detail) = try await Self.execute(client, f, #"{"inputs":[1,2],"response":"document"}"#)
            #expect(status == 400 && detail.contains("'inputs' must be an object"), "\(detail)")
        }
    }

    @Test func outOfRangeQueryParametersAre400() async throws {
        let f = try await ServerFixture()
        defer { Task { await f.close() } }
        try await f.live { client in
            for query in ["limit=999999999999999999999", "limit=0", "limit=abc", "limit=", "offset=-1", "offset=9223372036854775807",
                          "limit=5&limit=6", "limit=1e3"] {
                let r = try await client.execute(uri: "/jobs?\(query)", method: .get, headers: f.headers("alice"))
                #expect(r.status == .badRequest, "\(query): \(r.status)")
                #expect((try object(r)["detail"] as? String)?.contains("query parameter") == true, "\(query)")
            }
            #expect(try await client.execute(uri: "/jobs?limit=1000&offset=5", method: .get, headers: f.headers("alice")).status == .ok)
        }
    }

    @Test func unknownOutputsAndInlineTransmissionAre400() async throws {
        let f = try await ServerFixture()
        defer { Task { await f.close() } }
        try await f.live { client in
            let inputs = #""inputs":{"pair":"synthetic-pair","height":340,"heightMargin":40,"roi":[64,64,128,128]}"#
            var (status, detail) = try await Self.execute(client, f, #"{\#(inputs),"outputs":{"dsm":{"transmissionMode":"value"}}}"#)
            #expect(status == 400 && detail.contains("transmissionMode \"value\" is not supported"), "\(detail)")
            (status, detail) = try await Self.execute(client, f, #"{\#(inputs),"outputs":{"ortho":{}}}"#)
            #expect(status == 400 && detail.contains("unknown output 'ortho'"), "\(detail)")
            (status, detail) = try await Self.execute(client, f, #"{\#(inputs),"outputs":{"dsm":{"format":{"mediaType":"image/png"}}}}"#)
            #expect(status == 400 && detail.contains("not offered"), "\(detail)")
            (status, detail) = try await Self.execute(client, f, #"{\#(inputs),"outputs":[]}"#)
            #expect(status == 400 && detail.contains("'outputs' must be an object"), "\(detail)")
            (status, detail) = try await Self.execute(client, f, #"{\#(inputs),"response":"raw"}"#)
            #expect(status == 400 && detail.contains("response 'raw'"), "\(detail)")
            (status, _) = try await Self.execute(client, f, #"{\#(inputs),"outputs":{"dsm":{"transmissionMode":"reference","format":{"mediaType":"image/tiff"}}}}"#)
            #expect(status == 201, "reference is what the server does")
        }
    }

    /// The README's quick start: `--catalogue-root catalogue`, relative to the working directory.
    @Test func relativeCatalogueRootWorks() async throws {
        let f = try await ServerFixture { config, folder in
            config.catalogueRoot = relativePath(from: FileManager.default.currentDirectoryPath, to: folder + "/catalogue")
            #expect(!config.catalogueRoot.hasPrefix("/"))
        }
        defer { Task { await f.close() } }
        try await f.live { client in
            let r = try await client.execute(uri: "/processes/dsm/execution", method: .post, headers: f.headers("alice"), body: dsmBody())
            #expect(r.status == .created, "\(String(buffer: r.body))")
        }
    }

    /// A catalogue product made of symlinks to images stored elsewhere: refused, naming the
    /// product's file and no server path, unless their folder is a configured data root.
    @Test func symlinkedProductsNeedADataRoot() async throws {
        func linkProduct(_ folder: String) throws {
            let store = folder + "/store", product = folder + "/catalogue/linked"
            try FileManager.default.createDirectory(atPath: store, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: product, withIntermediateDirectories: true)
            for name in ["stereo_left.tif", "stereo_right.tif"] {
                try FileManager.default.copyItem(atPath: ServerFixture.repository + "/testdata/" + name, toPath: store + "/" + name)
                try FileManager.default.createSymbolicLink(atPath: product + "/" + name, withDestinationPath: store + "/" + name)
            }
        }
        let refused = try await ServerFixture { _, folder in try linkProduct(folder) }
        defer { Task { await refused.close() } }
        try await refused.live { client in
            let (status, detail) = try await Self.execute(client, refused, String(buffer: dsmBody(pair: "linked")))
            #expect(status == 400, "\(detail)")
            #expect(detail.contains("linked/stereo_left.tif"), "names the product's file: \(detail)")
            #expect(!detail.contains(refused.folder) && !detail.contains("/tmp") && !detail.contains("/store"), "no server path: \(detail)")
        }
        let allowed = try await ServerFixture { config, folder in
            try linkProduct(folder)
            config.dataRoots = [folder + "/store"]
        }
        defer { Task { await allowed.close() } }
        try await allowed.live { client in
            let r = try await client.execute(uri: "/processes/dsm/execution", method: .post, headers: allowed.headers("alice"), body: dsmBody(pair: "linked"))
            #expect(r.status == .created, "\(String(buffer: r.body))")
        }
    }

    @Test func clientTextHasNoPathsOrFlags() {
        let text = ClientText(roots: ["/srv/relief/catalogue", "/srv/relief/out"])
        #expect(text.scrub("the ground footprints of /srv/relief/catalogue/reunion/img_01.tif and /srv/relief/catalogue/reunion/img_02.tif do not overlap (give the terrain height with --height or a DEM with --dem if it lies outside this range)")
                == "the ground footprints of reunion/img_01.tif and reunion/img_02.tif do not overlap (give the terrain height in input 'height' if it lies outside this range)")
        let memory = text.scrub("invalid configuration: 2 tiles need about 3000 MB; raise --memory or use a smaller ROI")
        #expect(!memory.contains("--") && !memory.contains("memory or"), "\(memory)")
        #expect(text.scrub("cannot write /var/tmp/x/.staging/dsm.tif: disk full") == "cannot write dsm.tif: disk full")
        #expect(text.scrub("output /srv/relief/out/lab/alice/dsm-1/dsm.tif") == "output lab/alice/dsm-1/dsm.tif")
        #expect(text.scrub("ratio 1/2, 3 km/h") == "ratio 1/2, 3 km/h")
    }
}

/// `to` relative to `from` (both absolute), with `..` components.
func relativePath(from: String, to: String) -> String {
    let a = URL(fileURLWithPath: from).standardizedFileURL.pathComponents, b = URL(fileURLWithPath: to).standardizedFileURL.pathComponents
    var k = 0
    while k < min(a.count, b.count), a[k] == b[k] { k += 1 }
    return (Array(repeating: "..", count: a.count - k) + b[k...]).joined(separator: "/")
}
