import Foundation
import Photogrammetry
import Raster
import ReliefQueue

/// Turns an OGC execute body (`{"inputs": {...}}`) into a queue request, resolving catalogue
/// identifiers and computing the ground area charged to the quota. Every refusal names the input.
struct ExecuteRequestParser: Sendable {
    let catalogue: Catalogue
    /// Inputs under the catalogue root, outputs under the output root.
    let confinement: PathConfinement
    /// Turns internal messages into client text (no server paths, no CLI flags).
    let clientText: ClientText
    /// What a DSM request may cost.
    var limits = AdmissionLimits()
    static let topLevelKeys: Set<String> = ["inputs", "outputs", "response", "subscriber"]

    func parse(process: String, body: Data, outputFolder: String) throws -> PlannedJob {
        let object: JSONValue
        do { object = try JSONValue.parse(body) } catch {
            throw APIError.malformed("the body is not valid JSON: \(Self.reason(error))")
        }
        guard case .object(let top) = object else { throw APIError.malformed("the body must be a JSON object with an 'inputs' object") }
        if let unknown = top.keys.sorted().first(where: { !Self.topLevelKeys.contains($0) }) {
            throw APIError.badInput("unknown field '\(unknown)' in the execute request (allowed: \(Self.topLevelKeys.sorted().joined(separator: ", ")))")
        }
        if let response = top["response"] {
            guard case .string(let mode) = response else { throw APIError.badInput("'response' must be a string, got \(response.summary)") }
            guard mode == "document" else {
                throw APIError.badInput("response '\(mode)' is not supported: results are returned as a document of links")
            }
        }
        // Callbacks are not offered (no `callback` conformance class): a client asking for them
        // is told at once, rather than waiting for calls that never come.
        if top["subscriber"] != nil {
            throw APIError.badInput("'subscriber' (callbacks) is not supported by this server: poll /jobs/{jobID} for the status")
        }
        try Self.checkOutputs(top["outputs"], process: process)
        guard let raw = top["inputs"] else { throw APIError.badInput("missing 'inputs' object") }
        guard case .object(let rawInputs) = raw else { throw APIError.badInput("'inputs' must be an object, got \(raw.summary)") }
        // OGC allows qualified values {"value": x}.
        let inputs = rawInputs.mapValues { v -> JSONValue in
            if case .object(let o) = v, let inner = o["value"] { return inner }
            return v
        }
        let known = Set((process == "dsm" ? ProcessDescriptions.dsmInputs : ProcessDescriptions.pwhInputs).keys)
        if let unknown = inputs.keys.sorted().first(where: { !known.contains($0) }) {
            throw APIError.badInput("unknown input '\(unknown)' for process '\(process)' (inputs: \(known.sorted().joined(separator: ", ")))")
        }
        return process == "dsm" ? try dsm(inputs, outputFolder: outputFolder) : try pwh(inputs, outputFolder: outputFolder)
    }

    /// The outputs a process offers, by id.
    static func outputIDs(_ process: String) -> Set<String> { process == "dsm" ? ["dsm"] : ["ortho", "stac"] }

    /// The execute request's `outputs` block: only outputs the process has, each returned by
    /// reference (a link under `/jobs/ID/files/`); `value` (inline) is refused, not ignored.
    static func checkOutputs(_ block: JSONValue?, process: String) throws {
        guard let block else { return }
        guard case .object(let outputs) = block else { throw APIError.badInput("'outputs' must be an object keyed by output id, got \(block.summary)") }
        let ids = outputIDs(process)
        for (id, spec) in outputs.sorted(by: { $0.key < $1.key }) {
            guard ids.contains(id) else {
                throw APIError.badInput("unknown output '\(id)' for process '\(process)' (outputs: \(ids.sorted().joined(separator: ", ")))")
            }
            guard case .object(let fields) = spec else { throw APIError.badInput("output '\(id)' must be an object, got \(spec.summary)") }
            if let unknown = fields.keys.sorted().first(where: { !["transmissionMode", "format"].contains($0) }) {
                throw APIError.badInput("unknown field '\(unknown)' in output '\(id)' (allowed: format, transmissionMode)")
            }
            if let mode = fields["transmissionMode"] {
                guard case .string(let m) = mode, m == "reference" else {
                    throw APIError.badInput("output '\(id)': transmissionMode \(mode.summary) is not supported: outputs are returned by reference (links)")
                }
            }
            if let format = fields["format"] {
                guard case .object(let f) = format else { throw APIError.badInput("output '\(id)': 'format' must be an object, got \(format.summary)") }
                if let media = f["mediaType"] {
                    let offered = id == "stac" ? "application/geo+json" : cogMediaType
                    guard case .string(let m) = media, m == offered || offered.hasPrefix(m + ";") else {
                        throw APIError.badInput("output '\(id)': format \(media.summary) is not offered (it is '\(offered)')")
                    }
                }
            }
        }
    }

    func dsm(_ inputs: [String: JSONValue], outputFolder: String) throws -> PlannedJob {
        let pair = try string(inputs, "pair")
        // Optional: without it the heights are measured from the images.
        let height = try number(inputs, "height")
        let margin = try number(inputs, "heightMargin")
        if height == nil, margin != nil { throw APIError.badInput("input 'heightMargin' needs 'height' (without it the heights are measured)") }
        let roi = try inputs["roi"].map { try Self.roi($0) }
        let tile = try integer(inputs, "tile")
        let images = try catalogue.pairImages(pair)
        let request = DSMRequest(images: images.map { .init(path: $0) }, roi: roi, resolution: try number(inputs, "resolution") ?? 0.5,
                                 height: height.map { .init(value: $0, margin: margin ?? 100) },
                                 output: outputFolder, tile: tile)
        let checked = try checkValues(.dsm(request), input: "pair")
        let fp = try groundFootprint(image: images[0], roi: roi, height: height, clientText: clientText)
        let secondary: RPCModel
        do { secondary = try RPCModel.load(image: images[1]) } catch {
            throw APIError.badInput("input 'pair': the secondary image has no usable RPC model: \(clientText.scrub("\(error)"))")
        }
        let w = fp.window
        let cost = DSMCost.estimate(reference: fp.model, secondary: secondary, window: (w.x, w.y, w.width, w.height), areaKm2: fp.km2,
                                    height: request.height?.value, margin: request.height?.margin, resolution: request.resolution)
        try cost.check(limits, resolution: request.resolution, margin: request.height?.margin)
        return PlannedJob(request: checked, areaKm2: fp.km2, footprint: fp.coordinates)
    }

    /// `[column, row, width, height]`: four integers, each range checked before any sum or
    /// product is formed from them (origins in 0...`DSMRequest.maxROIOrigin`, sizes in
    /// 1...`DSMRequest.maxROISide`), so that no ROI can overflow the arithmetic after it.
    static func roi(_ value: JSONValue) throws -> [Int] {
        let shape = "input 'roi' must be [column, row, width, height] in pixels (4 integers), got \(value.summary)"
        guard case .array(let items) = value, items.count == 4 else { throw APIError.badInput(shape) }
        let ints = try items.map { item -> Int in
            guard case .integer(let i) = item else { throw APIError.badInput(shape) }
            return i
        }
        for (k, name) in ["column", "row"].enumerated() where !(0...DSMRequest.maxROIOrigin).contains(ints[k]) {
            throw APIError.badInput("input 'roi': \(name) \(ints[k]) is outside 0...\(DSMRequest.maxROIOrigin)")
        }
        for (k, name) in [(2, "width"), (3, "height")] where !(1...DSMRequest.maxROISide).contains(ints[k]) {
            throw APIError.badInput("input 'roi': \(name) \(ints[k]) is outside 1...\(DSMRequest.maxROISide)")
        }
        return ints
    }

    func pwh(_ inputs: [String: JSONValue], outputFolder: String) throws -> PlannedJob {
        let product = try string(inputs, "product")
        let folder = try catalogue.folder(of: product, input: "product")
        // The product's PAN and MS as the recipe will find them (DIM_*_P_* / DIM_*_MS_* files).
        let found: PWHInputs
        do { found = try PWHInputs.find(product: folder) } catch {
            throw APIError.badInput("input 'product': '\(product)' is not a usable Pléiades product: \(clientText.scrub("\(error)"))")
        }
        var products = ["ortho", "stac"]
        if let v = inputs["products"] {
            let wrong = APIError.badInput("input 'products' must be an array of strings, got \(v.summary)")
            guard case .array(let items) = v else { throw wrong }
            products = try items.map { item in
                guard case .string(let s) = item else { throw wrong }
                return s
            }
        }
        let request = ReliefQueue.PWHRequest(product: folder, outputs: products, output: outputFolder)
        let checked = try checkValues(.pwh(request), input: "product")
        // The area of a product: its PAN image's footprint at the RPC height offset.
        let fp = try groundFootprint(image: found.pan, roi: nil, height: nil, clientText: clientText)
        return PlannedJob(request: checked, areaKm2: fp.km2, footprint: fp.coordinates)
    }

    /// The queue's own checks (ranges of height, resolution, ROI, tile; paths confined to the
    /// catalogue and output roots), reported as input errors without server paths. Returns the
    /// request as queued.
    func checkValues(_ request: JobRequest, input: String) throws -> JobRequest {
        do { return try request.validate(confinement: confinement).request } catch let e as RequestError {
            switch e {
            case .missingFile(_, let path):
                throw APIError.badInput("input '\(input)': the catalogue file '\(clientText.scrub(path))' is missing")
            case .outsideRoots(_, let path, _, _):
                // A symlink in the catalogue leading out of the catalogue and data roots.
                throw APIError.badInput("input '\(input)': the catalogue file '\(clientText.scrub(path))' lies outside the storage this server may read")
            default:
                throw APIError.badInput(clientText.scrub("\(e)"))
            }
        } catch {
            throw APIError.badInput(clientText.scrub("\(error)"))
        }
    }

    func string(_ inputs: [String: JSONValue], _ name: String) throws -> String {
        guard let v = inputs[name] else { throw APIError.badInput("missing input '\(name)'") }
        guard case .string(let s) = v else { throw APIError.badInput("input '\(name)' must be a string (a catalogue identifier), got \(v.summary)") }
        return s
    }

    /// A number input (an integer or not; never a boolean or a string such as "NaN").
    func number(_ inputs: [String: JSONValue], _ name: String) throws -> Double? {
        guard let v = inputs[name] else { return nil }
        guard let n = v.number else { throw APIError.badInput("input '\(name)' must be a number, got \(v.summary)") }
        return n
    }

    func integer(_ inputs: [String: JSONValue], _ name: String) throws -> Int? {
        guard let v = inputs[name] else { return nil }
        guard case .integer(let i) = v else { throw APIError.badInput("input '\(name)' must be an integer, got \(v.summary)") }
        return i
    }

    static func reason(_ error: Error) -> String {
        let ns = error as NSError
        return (ns.userInfo[NSDebugDescriptionErrorKey] as? String) ?? ns.localizedDescription
    }
}
