import Foundation
import Testing
@testable import Photogrammetry
import Raster

@Suite("Orthorectification: bad input gives clear errors and no output", .enabled(if: SampleData.root != nil, SampleData.skipMessage))
struct OrthoBadInputTests {
    func ventouxArguments() throws -> [String] {
        [try SampleData.path(OrthoData.ventoux), "--rpc", try SampleData.path(OrthoData.ventouxModel)]
    }

    @Test("A DEM that does not cover the footprint is named, no file written")
    func demNotCovering() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        // A small ellipsoidal DEM 10 km east of the crop.
        let dem = folder + "/elsewhere.tif"
        try writeRaster(ImageBuffer<Float>(width: 10, height: 10, filledWith: 500), to: dem, options: .geoTIFF,
                        geoTransform: GeoTransform(originX: 5.3, originY: 44.3, pixelWidth: 0.001, pixelHeight: 0.001),
                        spatialReference: try SpatialReference(epsg: 4326))
        let out = folder + "/o.tif"
        let r = try DSMRunProcess.run(["ortho"] + ventouxArguments() + ["--dem", dem, "-o", out])
        #expect(r.status != 0)
        #expect(r.err.contains("does not cover") && r.err.contains("elsewhere.tif"), "\(r.err)")
        #expect(!FileManager.default.fileExists(atPath: out))
        #expect(throws: GeometryError.self) {
            _ = try Orthorectifier(image: try SampleData.path(OrthoData.ventoux),
                                   model: try RPCModel.load(image: try SampleData.path(OrthoData.ventoux), model: try SampleData.path(OrthoData.ventouxModel)),
                                   heights: .dem(path: dem, geoid: nil))
        }
    }

    @Test("SRTM without a geoid is refused (its heights are above EGM96)")
    func srtmWithoutGeoid() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let out = folder + "/o.tif"
        let r = try DSMRunProcess.run(["ortho"] + ventouxArguments() + ["--dem", try SampleData.path(OrthoData.srtm), "-o", out])
        #expect(r.status != 0 && r.err.contains("geoid"), "\(r.err)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test("An image without RPC is refused")
    func noRPC() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let image = folder + "/plain.tif"
        try writeRaster(ImageBuffer<UInt16>(width: 32, height: 32, filledWith: 7), to: image, options: .geoTIFF)
        let out = folder + "/o.tif"
        let r = try DSMRunProcess.run(["ortho", image, "--height", "100", "-o", out])
        #expect(r.status != 0)
        #expect(r.err.lowercased().contains("rpc"), "\(r.err)")
        #expect(!FileManager.default.fileExists(atPath: out))
        #expect(throws: RPCError.self) { _ = try Orthorectifier(image: image, heights: .constant(100)) }
    }

    @Test("Absurd resolutions are refused before any work", arguments: ["0", "-1", "0.00001", "nan"])
    func absurdResolution(_ resolution: String) throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let out = folder + "/o.tif"
        let r = try DSMRunProcess.run(["ortho"] + ventouxArguments() + ["--height", "500", "--resolution", resolution, "-o", out])
        #expect(r.status != 0)
        #expect(r.err.contains("resolution"), "\(r.err)")
        #expect(!FileManager.default.fileExists(atPath: out))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty, "no temporary file left")
    }

    @Test("A constant height gives a COG with overviews (or a GeoTIFF without), nodata and a mask band outside the footprint, and no other file",
          arguments: ["cog", "gtiff"])
    func constantHeightCOG(format: String) throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let out = folder + "/o.tif"
        let r = try DSMRunProcess.run(["ortho"] + ventouxArguments() + ["--height", "530", "--resolution", "1", "-o", out, "--tile-size", "128", "--format", format])
        #expect(r.status == 0, "\(r.err)")
        // The mask is inside the file: no `.msk` sidecar of the staging file is left beside it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["o.tif"])
        let ds = try Dataset(path: out)
        #expect(try ds.pixelType() == .uint16 && ds.spatialReference?.epsg == 32631)
        #expect(try ds.nodata() == 0)
        #expect(try ds.overviewCount() >= (format == "cog" ? 1 : 0))
        let image = try ds.readAll(UInt16.self)
        let valid = image.storage.filter { $0 != 0 }.count
        // The 500x500 crop at 0.5 m covers about 250x250 m: 62,500 m² at 1 m, within 5 %.
        #expect(abs(Double(valid) - 62_500) < 0.05 * 62_500, "\(valid) valid pixels")
        #expect(image[0, 0] == 0, "corner outside the (rotated) footprint")
        let info = try OrthoData.run("gdalinfo", [out])
        #expect(info.out.contains("Mask Flags: PER_DATASET") && (format != "cog" || info.out.contains("Overviews of mask band")), "\(info.out)")
        let mask = try OrthoData.run("gdal_translate", ["-q", "-b", "mask", out, folder + "/mask.tif"])
        try #require(mask.status == 0, "\(mask.err)")
        let m = try Dataset(path: folder + "/mask.tif").readAll(UInt8.self)
        #expect(m.storage.filter { $0 == 255 }.count == valid, "mask and nodata agree")
    }
}

@Suite("dsm-run ortho: command line")
struct OrthoCommandLineTests {
    @Test("--help names every option; --dem and --height are exclusive")
    func help() throws {
        let r = try DSMRunProcess.run(["ortho", "--help"])
        #expect(r.status == 0)
        for option in ["--dem", "--height", "--geoid", "--resolution", "--epsg", "--resampling", "--bands", "-o"] {
            #expect(r.out.contains(option), "\(option) missing from --help")
        }
        let both = try DSMRunProcess.run(["ortho", "x.tif", "-o", "/tmp/never-relief-ortho.tif", "--dem", "d.tif", "--height", "3"])
        #expect(both.status != 0 && both.err.contains("exactly one of --dem DEM and --height H"), "\(both.err)")
        let kernel = try DSMRunProcess.run(["ortho", "x.tif", "-o", "/tmp/never-relief-ortho.tif", "--height", "3", "--resampling", "cubic"])
        #expect(kernel.status != 0 && kernel.err.contains("bicubic"), "\(kernel.err)")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/never-relief-ortho.tif"))
    }
}
