import Foundation
import Photogrammetry
import ReliefQueue

/// Turns an OGC execute body (`{"inputs": {...}}`) into a queue request, resolving catalogue
/// identifiers and computing the ground area charged to the quota. Every refusal names the input.
struct ExecuteRequestParser: Sendable {
    let catalogue: Catalogue
    /// Inputs under the catalogue root, outputs under the output root.
    let confinement: PathConfinement
    static let topLevelKeys: Set<String> = ["inputs", "outputs", "response", "subscriber"]

    func parse(process: String, body: Data, outputFolder: String) throws -> PlannedJob {
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: body) } catch {
            throw APIError.malformed("the body is not valid JSON: \(Self.reason(error))")
        }
        guard let top = object as? [String: Any] else { throw APIError.malformed("the body must be a JSON object with an 'inputs' object") }
        if let unknown = top.keys.sorted().first(where: { !Self.topLevelKeys.contains($0) }) {
            throw APIError.badInput("unknown field '\(unknown)' in the execute request (allowed: \(Self.topLevelKeys.sorted().joined(separator: ", ")))")
        }
        if let mode = top["response"] as? String, mode != "document" {
            throw APIError.badInput("response '\(mode)' is not supported: results are returned as a document of links")
        }
        guard let rawInputs = top["inputs"] as? [String: Any] else { throw APIError.badInput("missing 'inputs' object") }
        // OGC allows qualified values {"value": x}.
        let inputs = rawInputs.mapValues { v -> Any in (v as? [String: Any])?["value"] ?? v }
        let known = Set((process == "dsm" ? ProcessDescriptions.dsmInputs : ProcessDescriptions.pwhInputs).keys)
        if let unknown = inputs.keys.sorted().first(where: { !known.contains($0) }) {
            throw APIError.badInput("unknown input '\(unknown)' for process '\(process)' (inputs: \(known.sorted().joined(separator: ", ")))")
        }
        return process == "dsm" ? try dsm(inputs, outputFolder: outputFolder) : try pwh(inputs, outputFolder: outputFolder)
    }

    func dsm(_ inputs: [String: Any], outputFolder: String) throws -> PlannedJob {
        let pair = try string(inputs, "pair")
        guard let height = try number(inputs, "height") else { throw APIError.badInput("missing input 'height' (terrain height above the WGS84 ellipsoid, metres)") }
        let roi: [Int]? = try inputs["roi"].map { v in
            guard let a = v as? [Any], a.count == 4, let ints = a.map({ ($0 as? NSNumber).flatMap { Int(exactly: $0.doubleValue) } }) as? [Int] else {
                throw APIError.badInput("input 'roi' must be [column, row, width, height] in pixels, got \(v)")
            }
            return ints
        }
        let tile = try number(inputs, "tile").map { t -> Int in
            guard let i = Int(exactly: t) else { throw APIError.badInput("input 'tile' must be an integer, got \(t)") }
            return i
        }
        let images = try catalogue.pairImages(pair)
        let request = DSMRequest(images: images.map { .init(path: $0) }, roi: roi, resolution: try number(inputs, "resolution") ?? 0.5,
                                 height: .init(value: height, margin: try number(inputs, "heightMargin") ?? 100),
                                 output: outputFolder, tile: tile)
        let checked = try checkValues(.dsm(request))
        let (area, ring) = try groundFootprint(image: images[0], roi: roi, height: height)
        return PlannedJob(request: checked, areaKm2: area, footprint: ring)
    }

    func pwh(_ inputs: [String: Any], outputFolder: String) throws -> PlannedJob {
        let folder = try catalogue.folder(of: try string(inputs, "product"), input: "product")
        // The product's PAN and MS as the recipe will find them (DIM_*_P_* / DIM_*_MS_* files).
        let found: PWHInputs
        do { found = try PWHInputs.find(product: folder) } catch { throw APIError.badInput("input 'product': \(error)") }
        let products = inputs["products"].map { $0 as? [String] } ?? ["ortho", "stac"]
        guard let products else { throw APIError.badInput("input 'products' must be an array of strings") }
        let request = ReliefQueue.PWHRequest(product: folder, outputs: products, output: outputFolder)
        let checked = try checkValues(.pwh(request))
        // The area of a product: its PAN image's footprint at the RPC height offset.
        let (area, ring) = try groundFootprint(image: found.pan, roi: nil, height: nil)
        return PlannedJob(request: checked, areaKm2: area, footprint: ring)
    }

    /// The queue's own checks (ranges of height, resolution, ROI, tile; paths confined to the
    /// catalogue and output roots), reported as input errors. Returns the request as queued.
    func checkValues(_ request: JobRequest) throws -> JobRequest {
        do { return try request.validate(confinement: confinement).request } catch { throw APIError.badInput("\(error)") }
    }

    func string(_ inputs: [String: Any], _ name: String) throws -> String {
        guard let v = inputs[name] else { throw APIError.badInput("missing input '\(name)'") }
        guard let s = v as? String else { throw APIError.badInput("input '\(name)' must be a string (a catalogue identifier), got \(v)") }
        return s
    }

    func number(_ inputs: [String: Any], _ name: String) throws -> Double? {
        guard let v = inputs[name] else { return nil }
        guard let n = v as? NSNumber else {
            throw APIError.badInput("input '\(name)' must be a number, got \(v)")
        }
        return n.doubleValue
    }

    static func reason(_ error: Error) -> String {
        let ns = error as NSError
        return (ns.userInfo[NSDebugDescriptionErrorKey] as? String) ?? ns.localizedDescription
    }
}
