import Foundation
import Raster

extension RPCModel {
    /// Reads an RPC model from a file of any supported format, recognised by its content:
    /// XML (DIMAP v2, Pléiades Neo, DIMAP v1.4, WorldView), OSSIM `.geom`, RPC00B `KEY: value` text, `.RPB`,
    /// rpcm's JSON dictionary,
    /// or a raster GDAL opens whose `RPC` metadata domain is filled (GeoTIFF tags, `.RPB`,
    /// `_RPC.TXT` sidecars, NITF RPC00B TRE).
    ///
    /// - Throws: `RPCError.noRPC` for a file without an RPC model (e.g. a plain TIFF, a text file
    ///   that is not an RPC), `RPCError.unsupportedFormat` for XML of an unknown kind, or the
    ///   field errors of the reader.
    public init(contentsOf path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw RPCError.unsupportedFormat(source: path, reason: "cannot be opened")
        }
        let head = (try? handle.read(upToCount: 4096)) ?? Data()
        try? handle.close()
        let bytes = [UInt8](head)
        let firstNonBlank = bytes.first { !($0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D || $0 == 0xEF || $0 == 0xBB || $0 == 0xBF) }
        if firstNonBlank == UInt8(ascii: "<") {
            guard let root = XMLNode.parse(contentsOf: path) else {
                throw RPCError.unsupportedFormat(source: path, reason: "not well-formed XML")
            }
            self = try RPCXMLReader.read(root, source: path)
            return
        }
        if firstNonBlank == UInt8(ascii: "{") {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw RPCError.unsupportedFormat(source: path, reason: "cannot be read")
            }
            self = try RPCJSONReader.read(data, source: path)
            return
        }
        if RPCModel.looksLikeText(bytes), let text = try? String(contentsOfFile: path, encoding: .utf8) {
            let kv = RPCKeyValueReader.pairs(text)
            if kv["type"] != nil, kv["line_off"] != nil || kv["line_num_coeff_00"] != nil {
                self = try RPCKeyValueReader.readGeom(text, source: path)
                return
            }
            if RPCKeyValueReader.isRPB(text) {
                self = try RPCKeyValueReader.readRPB(text, source: path)
                return
            }
            if kv["LINE_OFF"] != nil || kv["LINE_NUM_COEFF_1"] != nil {
                self = try RPCKeyValueReader.readText(text, source: path)
                return
            }
            throw RPCError.noRPC(source: path)
        }
        self = try RPCModel(gdalRaster: path)
    }

    /// The model in a raster's GDAL `RPC` metadata domain.
    public init(gdalRaster path: String) throws {
        let dataset: Dataset
        do { dataset = try Dataset(path: path) } catch {
            throw RPCError.unsupportedFormat(source: path, reason: "not an RPC file nor a raster GDAL reads (\(error))")
        }
        let md = dataset.metadata(domain: "RPC")
        guard !md.isEmpty else { throw RPCError.noRPC(source: path) }
        self = RPCModel(coefficients: try RPCCoefficients(gdalMetadata: md, source: path), source: path, format: .gdal)
    }

    /// The model of an image, found wherever it is:
    /// 1. `modelPath` when given (any format of `init(contentsOf:)`);
    /// 2. otherwise the image's GDAL `RPC` domain (tags, `.RPB`, `_RPC.TXT`, NITF; when GDAL took
    ///    it from a DIMAP `RPC_*.XML`, that file through our reader, to keep its direct model);
    /// 3. otherwise a sidecar next to the image: `<name>.geom`, `<name>_RPC.TXT`, `<name>.RPB`,
    ///    or the `RPC_<id>.XML` in its folder (the only one, or the one whose `<id>` is in the
    ///    image name, as in Pléiades DIMAP products).
    ///
    /// An external model (1 or 3) is for the full scene; when the image is a crop stored with the
    /// CNES/CARS/OTB convention (a geotransform without CRS, pixel size (1, 1), no rotation, origin
    /// = the crop's (col, row) in the full scene) the model is shifted by that origin
    /// (`cropOffset(ofImage:)`). An RPC embedded in the image describes the image itself and is not
    /// shifted.
    public static func load(image imagePath: String, model modelPath: String? = nil) throws -> RPCModel {
        if let modelPath {
            return try applyCropOffset(RPCModel(contentsOf: modelPath), image: imagePath)
        }
        if let dataset = try? Dataset(path: imagePath), !dataset.metadata(domain: "RPC").isEmpty {
            // GDAL fills the domain from a Pléiades/SPOT `RPC_*.XML` next to an `IMG_*` file: read
            // that file ourselves, which keeps its direct model (same inverse model and offsets).
            let dimap = dataset.fileList.first {
                let name = URL(fileURLWithPath: $0).lastPathComponent
                return name.hasPrefix("RPC_") && name.uppercased().hasSuffix(".XML")
            }
            if let dimap, let model = try? RPCModel(contentsOf: dimap) { return model }
            return RPCModel(
                coefficients: try RPCCoefficients(gdalMetadata: dataset.metadata(domain: "RPC"), source: imagePath),
                source: imagePath, format: .gdal)
        }
        if let sidecar = sidecarModelPath(ofImage: imagePath) {
            return try applyCropOffset(RPCModel(contentsOf: sidecar), image: imagePath)
        }
        // Not an image with an RPC: maybe the path is itself a model file.
        return try RPCModel(contentsOf: imagePath)
    }

    /// The crop origin (col, row) in the full scene for an image stored with the CNES
    /// convention (see `load(image:model:)`), nil for other images.
    public static func cropOffset(ofImage path: String) -> (column: Double, row: Double)? {
        guard let dataset = try? Dataset(path: path), dataset.spatialReference == nil,
              let gt = dataset.geoTransform?.array else { return nil }
        guard gt[1] == 1, gt[2] == 0, gt[4] == 0, gt[5] == 1 else { return nil }
        return (gt[0], gt[3])
    }

    /// A model file next to an image, or nil.
    public static func sidecarModelPath(ofImage path: String) -> String? {
        let url = URL(fileURLWithPath: path)
        let base = url.deletingPathExtension().path
        let fm = FileManager.default
        for candidate in [base + ".geom", base + ".GEOM", base + "_RPC.TXT", base + "_rpc.txt", base + ".RPB", base + ".rpb"]
        where fm.fileExists(atPath: candidate) {
            return candidate
        }
        let folder = url.deletingLastPathComponent().path
        let names = (try? fm.contentsOfDirectory(atPath: folder)) ?? []
        let dimap = names.filter { $0.hasPrefix("RPC_") && $0.uppercased().hasSuffix(".XML") }.sorted()
        if dimap.count == 1 { return folder + "/" + dimap[0] }
        // Several (e.g. P and MS of one product): the one whose product id is in the image name
        // (IMG_PHR1B_P_..._R1C1.JP2 goes with RPC_PHR1B_P_....XML).
        let imageName = url.lastPathComponent
        let matching = dimap.filter { imageName.contains(String($0.dropFirst(4).dropLast(4))) }
        return matching.count == 1 ? folder + "/" + matching[0] : nil
    }

    private static func applyCropOffset(_ model: RPCModel, image: String) -> RPCModel {
        guard let offset = cropOffset(ofImage: image) else { return model }
        return model.cropped(column: offset.column, row: offset.row)
    }

    /// Text: no NUL byte and mostly printable in the first 4 KB.
    private static func looksLikeText(_ bytes: [UInt8]) -> Bool {
        guard !bytes.isEmpty, !bytes.contains(0) else { return false }
        if bytes.starts(with: Array("NITF".utf8)) || bytes.starts(with: Array("NSIF".utf8)) { return false }
        let printable = bytes.filter { $0 >= 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }.count
        return printable * 100 >= bytes.count * 95
    }
}
