import Foundation

/// A request, as queued: JSON `{"version": 1, "kind": "dsm", ...fields of the kind}`. Decoding
/// rejects unknown fields, other versions and unknown kinds.
public enum JobRequest: Sendable, Equatable {
    case dsm(DSMRequest)
    case pwh(PWHRequest)
    case probe(ProbeRequest)
    /// A part of a fanned-out `dsm` job (made by workers, see `DSMTileRequest`).
    case dsmTile(DSMTileRequest)

    public static let version = 1
    static let envelopeKeys = ["version", "kind"]

    public var kind: String {
        switch self {
        case .dsm: "dsm"
        case .pwh: "pwh"
        case .probe: "probe"
        case .dsmTile: "dsm-tile"
        }
    }

    /// Parses and checks the values (not the paths: see `validate(confinement:)`).
    public static func decode(_ json: String) throws -> JobRequest {
        guard let data = json.data(using: .utf8) else { throw RequestError.malformed("not UTF-8") }
        do {
            return try JSONDecoder().decode(Wire.self, from: data).request
        } catch let e as RequestError { throw e } catch let DecodingError.keyNotFound(key, ctx) {
            throw RequestError.malformed("missing field '\((ctx.codingPath.map(\.stringValue) + [key.stringValue]).joined(separator: "."))'")
        } catch let DecodingError.typeMismatch(_, ctx) {
            throw RequestError.malformed("wrong type at '\(ctx.codingPath.map(\.stringValue).joined(separator: "."))': \(ctx.debugDescription)")
        } catch {
            throw RequestError.malformed("\(error)")
        }
    }

    /// Canonical JSON (sorted keys): the same request always gives the same text.
    public func encoded() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try! encoder.encode(Wire(request: self)), as: UTF8.self)
    }

    /// Default idempotency key: a 128-bit FNV-1a digest of the canonical JSON (not a security
    /// boundary: a user who wants a distinct job for the same request passes their own key).
    public var idempotencyKey: String { "\(kind)-" + fnv1a128(encoded()) }

    /// Checks the values, then resolves every path against the roots. Returns the request with
    /// the resolved paths and its output folder filled in (what is queued, and what a worker
    /// uses: it validates again before running, as a symlink may have changed) and the resolved
    /// output folder.
    public func validate(confinement: PathConfinement) throws -> (request: JobRequest, outputFolder: String?) {
        switch self {
        case .dsm(var r):
            try r.validateValues()
            for i in r.images.indices {
                r.images[i].path = try confinement.input(r.images[i].path, field: "images[\(i)].path")
                if let rpc = r.images[i].rpc { r.images[i].rpc = try confinement.input(rpc, field: "images[\(i)].rpc") }
            }
            if var dem = r.dem {
                dem.path = try confinement.input(dem.path, field: "dem.path")
                if let g = dem.geoid { dem.geoid = try confinement.input(g, field: "dem.geoid") }
                r.dem = dem
            }
            if let g = r.geoid { r.geoid = try confinement.input(g, field: "geoid") }
            if r.output == nil { r.output = "dsm-" + String(JobRequest.dsm(r).idempotencyKey.suffix(32).prefix(12)) }
            let folder = try confinement.output(r.output!, field: "output")
            return (.dsm(r), folder)
        case .pwh(var r):
            guard !r.outputs.isEmpty, r.outputs.allSatisfy(PWHRequest.knownOutputs.contains) else {
                throw RequestError.invalid(field: "outputs", "must list some of \(PWHRequest.knownOutputs.sorted()), got \(r.outputs)")
            }
            r.product = try confinement.input(r.product, field: "product", folder: true)
            if let dem = r.dem { r.dem = try confinement.input(dem, field: "dem") }
            if let g = r.geoid {
                guard r.dem != nil else { throw RequestError.invalid(field: "geoid", "a geoid needs a dem") }
                r.geoid = try confinement.input(g, field: "geoid")
            }
            if r.output == nil { r.output = "pwh-" + String(JobRequest.pwh(r).idempotencyKey.suffix(32).prefix(12)) }
            let folder = try confinement.output(r.output!, field: "output")
            return (.pwh(r), folder)
        case .dsmTile(var t):
            try t.validateValues()
            guard case .dsm(let r) = try JobRequest.dsm(t.request).validate(confinement: confinement).request else {
                preconditionFailure("a dsm request validates to a dsm request")
            }
            t.request = r
            let folder = try confinement.output(t.folder, field: "folder")
            return (.dsmTile(t), folder)
        case .probe(let r):
            guard ProbeRequest.enabled else { throw RequestError.unknownKind("probe") }
            guard r.sleepMilliseconds >= 0, r.sleepMilliseconds <= 600_000, r.failAttempts >= 0 else {
                throw RequestError.invalid(field: "probe", "sleep in 0...600000 ms, failAttempts >= 0")
            }
            if let s = r.sideEffect { _ = try confinement.output(s, field: "sideEffect") }
            return (self, nil)
        }
    }

    /// The JSON shape: the envelope's keys beside the kind's own.
    struct Wire: Codable {
        var request: JobRequest
        init(request: JobRequest) { self.request = request }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: AnyKey.self)
            guard let version = try c.decodeIfPresent(Int.self, forKey: AnyKey("version")) else {
                throw RequestError.malformed("missing field 'version' (this worker reads version \(JobRequest.version))")
            }
            guard version == JobRequest.version else { throw RequestError.unsupportedVersion(version, supported: JobRequest.version) }
            guard let kind = try c.decodeIfPresent(String.self, forKey: AnyKey("kind")) else { throw RequestError.malformed("missing field 'kind'") }
            switch kind {
            case "dsm": request = .dsm(try DSMRequest(from: decoder))
            case "pwh": request = .pwh(try PWHRequest(from: decoder))
            case "dsm-tile": request = .dsmTile(try DSMTileRequest(from: decoder))
            case "probe" where ProbeRequest.enabled:
                try rejectUnknownKeys(decoder, allowed: ["sleepMilliseconds", "sideEffect", "failAttempts", "tag"] + JobRequest.envelopeKeys, in: "probe request")
                request = .probe(try ProbeRequest(from: decoder))
            default: throw RequestError.unknownKind(kind)
            }
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: AnyKey.self)
            try c.encode(JobRequest.version, forKey: AnyKey("version"))
            try c.encode(request.kind, forKey: AnyKey("kind"))
            switch request {
            case .dsm(let r): try r.encode(to: encoder)
            case .pwh(let r): try r.encode(to: encoder)
            case .probe(let r): try r.encode(to: encoder)
            case .dsmTile(let r): try r.encode(to: encoder)
            }
        }
    }
}

/// FNV-1a over the UTF-8 bytes with two different offset bases (two 64-bit halves), as 32 hex digits.
func fnv1a128(_ text: String) -> String {
    var a: UInt64 = 0xcbf2_9ce4_8422_2325
    var b: UInt64 = 0x6c62_272e_07bb_0142
    for byte in text.utf8 {
        a = (a ^ UInt64(byte)) &* 0x100_0000_01b3
        b = (b ^ UInt64(byte)) &* 0x100_0000_01b3
        b = b ^ (b >> 29)
    }
    return String(format: "%016llx%016llx", a, b)
}
