import Foundation
import ArgumentParser
import Photogrammetry
import Raster

/// `dsm-run info FILE`: what a raster is, where it is, and its RPC model.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Describe a raster: size, bands, types, georeferencing, metadata domains and RPC."
    )

    @Argument(help: "A raster GDAL can open (GeoTIFF, COG, VRT, NITF, JP2, DIMAP XML, /vsicurl/ URL, ...).")
    var path: String

    func run() throws {
        let dataset = try Dataset(path: path)
        print(try describe(dataset), terminator: "")
    }
}

/// The text `dsm-run info` prints.
func describe(_ dataset: Dataset) throws -> String {
    var out = ""
    func line(_ s: String) { out += s + "\n" }
    line("File: \(dataset.path)")
    line("Driver: \(dataset.driverName)")
    line("Size: \(dataset.width) x \(dataset.height), \(dataset.bandCount) band(s)")
    for band in 1...dataset.bandCount {
        let block = try dataset.blockSize(band: band)
        var text = "Band \(band): \(try dataset.pixelType(band: band).rawValue), block \(block.width)x\(block.height)"
        if let nodata = try dataset.nodata(band: band) { text += ", nodata \(nodata)" }
        let overviews = try dataset.overviewCount(band: band)
        if overviews > 0 { text += ", \(overviews) overview(s)" }
        let name = try dataset.bandDescription(band: band)
        if !name.isEmpty { text += ", \"\(name)\"" }
        line(text)
    }
    if let gt = dataset.geoTransform { line("GeoTransform: \(gt.array.map { "\($0)" }.joined(separator: ", "))") }
    else { line("GeoTransform: none (sensor geometry)") }
    if let srs = dataset.spatialReference {
        line("CRS: " + (srs.epsg.map { "EPSG:\($0)" } ?? String(srs.wkt.prefix(80))))
    } else {
        line("CRS: none")
    }
    let domains = dataset.metadataDomains.map { $0.isEmpty ? "(default)" : $0 }
    line("Metadata domains: \(domains.joined(separator: ", "))")
    let rpcItems = dataset.metadata(domain: "RPC")
    if rpcItems.isEmpty {
        if let sidecar = RPCModel.sidecarModelPath(ofImage: dataset.path) {
            line("RPC: none in the file; sidecar model \(sidecar) (used by `dsm-run rpc`)")
        } else {
            line("RPC: none")
        }
    } else {
        let rpc = try RPCCoefficients(gdalMetadata: rpcItems, source: dataset.path)
        line("RPC: RPC00B, \(rpc.allValues.count) values (0-based pixel centres)")
        line("  image offset (sample, line): \(rpc.sampleOffset), \(rpc.lineOffset); scale: \(rpc.sampleScale), \(rpc.lineScale)")
        line("  ground offset (lon, lat, h): \(rpc.longitudeOffset), \(rpc.latitudeOffset), \(rpc.heightOffset) m")
        line("  ground scale (lon, lat, h): \(rpc.longitudeScale), \(rpc.latitudeScale), \(rpc.heightScale) m")
    }
    if let model = try? RPCModel.load(image: dataset.path) {
        out += try footprintText(model, window: dataset.bounds)
    }
    return out
}

/// The image's corners on the ground at the model's height offset, and the footprint's area.
func footprintText(_ model: RPCModel, window: Window) throws -> String {
    let height = model.coefficients.heightOffset
    let footprint = try model.footprint(of: window, height: height)
    var out = "Footprint at \(height) m above the WGS84 ellipsoid: "
        + String(format: "%.4f km²", footprint.areaSquareKilometres) + "\n"
    let corners = [("upper left", window.x, window.y), ("upper right", window.maxX - 1, window.y),
                   ("lower right", window.maxX - 1, window.maxY - 1), ("lower left", window.x, window.maxY - 1)]
    for (name, col, row) in corners {
        let g = try model.localization(column: Double(col), row: Double(row), height: height)
        out += "  \(name) pixel (\(col), \(row)): " + String(format: "lon %.7f, lat %.7f", g.longitude, g.latitude) + "\n"
    }
    return out
}
