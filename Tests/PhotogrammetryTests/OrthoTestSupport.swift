import Foundation
import Testing
@testable import Photogrammetry
import Raster

/// Sample files and fixtures of the orthorectification tests.
enum OrthoData {
    static let ventoux = "cars_phr_ventoux/image/phr_ventoux/left_image.tif"
    static let ventouxModel = "cars_phr_ventoux/rpc/phr_ventoux/left_image.geom"
    static let srtm = "dem_geoid/dtm/srtm_ventoux/srtm90_non_void_filled/N44E005.hgt"
    static let egm96 = "dem_geoid/dtm/geoid/egm96_15.gtx"

    /// A VRT over `image` carrying `model` in GDAL's RPC domain (and no geotransform), so that
    /// `gdalwarp -rpc` sees the same camera as we do (the crop's own RPC, offsets shifted).
    static func vrt(image: String, model: RPCModel, width: Int, height: Int, bands: Int, type: String, in folder: String) throws -> String {
        let items = model.coefficients.gdalMetadata.sorted { $0.key < $1.key }
            .map { "    <MDI key=\"\($0.key)\">\($0.value)</MDI>" }.joined(separator: "\n")
        let bandXML = (1...bands).map { b in
            """
              <VRTRasterBand dataType="\(type)" band="\(b)">
                <SimpleSource><SourceFilename relativeToVRT="0">\(image)</SourceFilename><SourceBand>\(b)</SourceBand></SimpleSource>
              </VRTRasterBand>
            """
        }.joined(separator: "\n")
        let xml = """
            <VRTDataset rasterXSize="\(width)" rasterYSize="\(height)">
              <Metadata domain="RPC">
            \(items)
              </Metadata>
            \(bandXML)
            </VRTDataset>
            """
        let path = folder + "/with-rpc.vrt"
        try xml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The SRTM tile converted to ellipsoidal heights (h = H + N(lon, lat) at each sample centre)
    /// as a Float32 GeoTIFF, for `gdalwarp -to RPC_DEM=`.
    static func ellipsoidalSRTM(in folder: String) throws -> String {
        let dem = try Dataset(path: try SampleData.path(srtm))
        let geoid = try Geoid(path: try SampleData.path(egm96))
        var values = try dem.readAll(Float.self)
        let gt = try #require(dem.geoTransform)
        for y in 0..<values.height {
            for x in 0..<values.width {
                let p = gt.apply(pixel: Double(x) + 0.5, line: Double(y) + 0.5)
                values[x, y] += Float(try geoid.undulation(longitude: p.x, latitude: p.y))
            }
        }
        let path = folder + "/srtm-ellipsoidal.tif"
        try writeRaster(values, to: path, options: .geoTIFF, geoTransform: gt, spatialReference: try SpatialReference(epsg: 4326))
        return path
    }

    /// Runs a command line tool; returns its exit status, standard output and standard error
    /// (through temporary files, so that neither pipe can block the other).
    @discardableResult
    static func run(_ tool: String, _ arguments: [String]) throws -> (status: Int32, err: String, out: String) {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let outPath = folder + "/out", errPath = folder + "/err"
        FileManager.default.createFile(atPath: outPath, contents: nil)
        FileManager.default.createFile(atPath: errPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        try process.run()
        process.waitUntilExit()
        return (process.terminationStatus, try String(contentsOfFile: errPath, encoding: .utf8), try String(contentsOfFile: outPath, encoding: .utf8))
    }
}

/// The translation d that best maps image `a` onto image `b`, a(x + d) ≈ b(x), by iterated
/// Lucas-Kanade (gradient-based least squares, B. Lucas and T. Kanade, IJCAI 1981): each
/// iteration resamples `a` bicubically at x + d, solves the 2x2 normal equations of the
/// linearised residual a(x + d) + ∇a·δ - b(x) and updates d += δ, until |δ| < 1e-5 px.
/// Pixels where either image is NaN, or whose bicubic support in `a` touches a NaN, or within
/// `border` of an edge, are left out. Accurate to about 0.01 px on textured images (sub-pixel
/// shifts of band-limited images are exact up to the interpolation error of the cubic kernel).
/// - Returns: (dx, dy) in pixels and the number of pixels used.
func registerTranslation(_ a: ImageBuffer<Float>, _ b: ImageBuffer<Float>, border: Int = 4, iterations: Int = 30) -> (dx: Double, dy: Double, pixels: Int) {
    precondition(a.width == b.width && a.height == b.height, "images of one size")
    var d = SIMD2<Double>(0, 0)
    var used = 0
    for _ in 0..<iterations {
        var sxx = 0.0, sxy = 0.0, syy = 0.0, sxr = 0.0, syr = 0.0
        used = 0
        for y in border..<(a.height - border) {
            for x in border..<(a.width - border) {
                let target = Double(b[x, y])
                guard target.isFinite else { continue }
                let px = Double(x) + d.x, py = Double(y) + d.y
                let v = Double(bicubicSample(a, x: px, y: py))
                let gx = (Double(bicubicSample(a, x: px + 0.5, y: py)) - Double(bicubicSample(a, x: px - 0.5, y: py)))
                let gy = (Double(bicubicSample(a, x: px, y: py + 0.5)) - Double(bicubicSample(a, x: px, y: py - 0.5)))
                guard v.isFinite, gx.isFinite, gy.isFinite else { continue }
                let r = v - target
                sxx += gx * gx; sxy += gx * gy; syy += gy * gy; sxr += gx * r; syr += gy * r
                used += 1
            }
        }
        let det = sxx * syy - sxy * sxy
        guard det > 0 else { return (.nan, .nan, used) }
        let delta = SIMD2(-(syy * sxr - sxy * syr) / det, -(sxx * syr - sxy * sxr) / det)
        d += delta
        if (delta * delta).sum() < 1e-10 { break }
    }
    return (d.x, d.y, used)
}

/// An image's band 1 as Float, with its nodata value as NaN.
func readFloat(_ path: String) throws -> ImageBuffer<Float> {
    let dataset = try Dataset(path: path)
    var image = try dataset.readAll(Float.self)
    if let nodata = try dataset.nodata() {
        for k in image.storage.indices where Double(image.storage[k]) == nodata || image.storage[k].isNaN { image.storage[k] = .nan }
    }
    return image
}

/// NaN cells replaced by the mean of their valid 4-neighbours, pass after pass until none is left
/// (holes fill from their rims inwards).
func fillHoles(_ image: ImageBuffer<Float>) -> ImageBuffer<Float> {
    var out = image
    for _ in 0..<(image.width + image.height) {
        var next = out
        var left = 0
        for y in 0..<out.height {
            for x in 0..<out.width where out[x, y].isNaN {
                var sum: Float = 0, n: Float = 0
                for (dx, dy) in [(-1, 0), (1, 0), (0, -1), (0, 1)] {
                    let u = x + dx, v = y + dy
                    guard u >= 0, v >= 0, u < out.width, v < out.height, out[u, v].isFinite else { continue }
                    sum += out[u, v]
                    n += 1
                }
                if n > 0 { next[x, y] = sum / n } else { left += 1 }
            }
        }
        out = next
        if left == 0 { break }
    }
    return out
}
