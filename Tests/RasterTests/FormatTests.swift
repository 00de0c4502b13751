import Foundation
import Testing
@testable import Raster

/// The same pixels through other GDAL drivers: a hand-written VRT, and JPEG 2000 (lossless), PNG
/// and NITF made by `gdal_translate` (Debian's gdal-bin, installed by scripts/install-deps and CI).
@Suite("Other formats")
struct FormatTests {
    static func gdalTranslate(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gdal_translate", "-q"] + arguments
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "gdal_translate \(arguments.joined(separator: " ")) failed")
    }

    @Test("VRT, lossless JPEG 2000, PNG and NITF read back the GeoTIFF's pixels")
    func formats() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let source = folder + "/src.tif"
        let image = patternImage(UInt16.self, width: 40, height: 30)
        try writeRaster(image, to: source, options: .geoTIFF)

        let vrt = """
            <VRTDataset rasterXSize="40" rasterYSize="30">
              <VRTRasterBand dataType="UInt16" band="1">
                <SimpleSource><SourceFilename relativeToVRT="1">src.tif</SourceFilename><SourceBand>1</SourceBand></SimpleSource>
              </VRTRasterBand>
            </VRTDataset>
            """
        try vrt.write(toFile: folder + "/v.vrt", atomically: true, encoding: .utf8)
        try Self.gdalTranslate(["-of", "JP2OpenJPEG", "-co", "REVERSIBLE=YES", "-co", "QUALITY=100", source, folder + "/j.jp2"])
        try Self.gdalTranslate(["-of", "PNG", source, folder + "/p.png"])
        try Self.gdalTranslate(["-of", "NITF", source, folder + "/n.ntf"])
        for (name, driver) in [("v.vrt", "VRT"), ("j.jp2", "JP2OpenJPEG"), ("p.png", "PNG"), ("n.ntf", "NITF")] {
            let ds = try Dataset(path: folder + "/" + name)
            #expect(ds.driverName == driver)
            #expect(try ds.readAll(UInt16.self) == image, "\(name) pixels differ")
            #expect(try ds.read(UInt16.self, band: 1, window: Window(x: 35, y: 25, width: 10, height: 10), fill: 0)[4, 4] == image[39, 29])
        }
    }
}
