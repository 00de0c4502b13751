import Foundation
import Testing
@testable import Photogrammetry
import Raster

/// The PWH recipe end to end on the Ventoux PAN + MS crops (full-scene .geom models, which also
/// hold the radiometric fields) with SRTM + EGM96.
@Suite("PWH recipe on the Ventoux crops", .enabled(if: SampleData.root != nil, SampleData.skipMessage))
struct PWHRecipeTests {
    static func request(output: String) throws -> PWHRequest {
        var r = PWHRequest(pan: try SampleData.path(RadiometryPansharpenTests.pan), ms: try SampleData.path(RadiometryPansharpenTests.ms), outputFolder: output)
        r.panModel = try SampleData.path(RadiometryPansharpenTests.panGeom)
        r.msModel = try SampleData.path(RadiometryPansharpenTests.msGeom)
        r.tileSize = 256
        return r
    }

    @Test("DEM run: COG (overviews, mask, 4 x UInt16 reflectance), where the PAN's ortho is, valid STAC fields")
    func demRun() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        var request = try Self.request(output: folder + "/out")
        request.dem = try SampleData.path(OrthoData.srtm)
        request.geoid = try SampleData.path(OrthoData.egm96)
        let steps = StepLog()
        let result = try PWHRecipe.run(request, progress: { steps.append($0.step) })
        #expect(steps.steps == [.inputs, .pansharpening, .orthorectification, .catalogue, .done])
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder + "/out").sorted() == ["left_image_PWH.json", "left_image_PWH.tif"],
                "the two products and no temporary folder")

        // The COG.
        let ds = try Dataset(path: result.image)
        #expect(ds.metadata(domain: "IMAGE_STRUCTURE")["LAYOUT"] == "COG")
        #expect(try ds.bandCount == 4 && ds.pixelType() == .uint16 && ds.nodata() == 0)
        #expect(try ds.overviewCount() >= 1)
        #expect(ds.spatialReference?.epsg == 32631 && result.resolution == 0.5)
        #expect(ds.metadata()["HEIGHT_SOURCE"]?.hasPrefix("DEM ") == true && ds.metadata()["REFLECTANCE_SCALE"] == "10000")
        let info = try OrthoData.run("gdalinfo", [result.image])
        #expect(info.out.contains("Mask Flags: PER_DATASET") && info.out.contains("Overviews of mask band"), "\(info.out)")
        let values = try ds.read(UInt16.self, window: ds.bounds)
        let n = ds.width * ds.height
        var intensity = ImageBuffer<Float>(width: ds.width, height: ds.height, filledWith: .nan)
        for b in 0..<4 {
            let band = values.storage[(b * n)..<((b + 1) * n)].filter { $0 != 0 }
            // 500 x 500 PAN px of 0.5 m on the grid: 250,000 valid pixels, within 2 % (edge pixels).
            #expect(abs(Double(band.count) - 250_000) < 5_000, "band \(b + 1): \(band.count) valid pixels")
            let mean = band.reduce(0.0) { $0 + Double($1) } / Double(band.count) / 10_000
            #expect(mean > 0.02 && mean < 0.6, "band \(b + 1): mean reflectance \(mean)")   // vegetation / rock, as the MS
            #expect(band.max()! <= 10_000, "band \(b + 1): reflectance above 1")
        }
        for k in 0..<n where values.storage[k] != 0 {
            intensity.storage[k] = (0..<4).reduce(Float(0)) { $0 + Float(values.storage[$1 * n + k]) } / 4
        }

        // Where the PAN's own ortho is: the PAN alone on the same grid and DEM, registered to the
        // product's mean band (scaled to the PAN by least squares, since the units differ).
        let grid = try OrthoGrid(epsg: result.epsg, originX: ds.geoTransform!.array[0], originY: ds.geoTransform!.array[3],
                                 resolution: result.resolution, width: ds.width, height: ds.height)
        let pan = try Orthorectifier(image: request.pan!, model: RPCModel.load(image: request.pan!, model: request.panModel),
                                     heights: .dem(path: request.dem!, geoid: Geoid(path: request.geoid!)), grid: grid)
        let panOrtho = try pan.orthorectify().image
        var sx = 0.0, sy = 0.0, sxx = 0.0, sxy = 0.0, m = 0.0
        for k in 0..<n where intensity.storage[k].isFinite && panOrtho.storage[k].isFinite {
            let x = Double(intensity.storage[k]), y = Double(panOrtho.storage[k])
            sx += x; sy += y; sxx += x * x; sxy += x * y; m += 1
        }
        let gain = (m * sxy - sx * sy) / (m * sxx - sx * sx), offset = (sy - gain * sx) / m
        var scaled = intensity
        for k in 0..<n { scaled.storage[k] = Float(gain * Double(intensity.storage[k]) + offset) }
        let shift = registerTranslation(scaled, panOrtho, border: 6)
        // The fused bands carry the PAN's detail through the same model, DEM and grid: any shift
        // comes from the spectral mix only. Measured (dx, dy) = (-0.005, -0.025) px; 0.1 px allowed.
        #expect(shift.pixels > 200_000 && abs(shift.dx) < 0.1 && abs(shift.dy) < 0.1, "\(shift)")

        // The STAC Item agrees with the COG.
        let item = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: result.item))) as? [String: Any])
        #expect(item["type"] as? String == "Feature" && item["stac_version"] as? String == "1.0.0" && item["id"] as? String == result.id)
        let properties = try #require(item["properties"] as? [String: Any])
        #expect(properties["datetime"] as? String == "2013-08-05T10:42:19.4Z")
        #expect(properties["platform"] as? String == "pleiades-1b" && properties["instruments"] as? [String] == ["phr"])
        #expect(properties["proj:epsg"] as? Int == 32631)
        #expect(properties["proj:shape"] as? [Int] == [ds.height, ds.width])
        let gt = ds.geoTransform!.array
        #expect(properties["proj:transform"] as? [Double] == [gt[1], gt[2], gt[0], gt[4], gt[5], gt[3]])
        #expect(abs((properties["view:sun_elevation"] as? Double ?? 0) - 59.83) < 0.01)   // middle .geom value
        let assets = try #require(item["assets"] as? [String: [String: Any]])
        #expect(assets["data"]?["roles"] as? [String] == ["data"] && assets["data"]?["href"] as? String == "./left_image_PWH.tif")
        #expect(assets["data"]?["type"] as? String == "image/tiff; application=geotiff; profile=cloud-optimized")
        #expect(assets["metadata"]?["roles"] as? [String] == ["metadata"])
        // Footprint (PAN border on the DEM) vs the valid pixels of the COG, in UTM metres: the
        // valid area ends at the last pixel centre inside the image, so within 1.5 px (0.75 m); measured <= 0.18 m.
        let geometry = try #require(item["geometry"] as? [String: Any])
        let ring = try #require((geometry["coordinates"] as? [[[Double]]])?.first)
        #expect(ring.count > 4 && ring.first! == ring.last!, "a closed ring")
        var xs = ring.map { $0[0] }, ys = ring.map { $0[1] }, zs = [Double](repeating: 0, count: ring.count)
        try CoordinateTransformation(from: SpatialReference(epsg: 4326), to: SpatialReference(epsg: 32631)).transform(x: &xs, y: &ys, z: &zs)
        var c0 = Int.max, c1 = Int.min, r0 = Int.max, r1 = Int.min
        for y in 0..<ds.height { for x in 0..<ds.width where values.storage[y * ds.width + x] != 0 {
            c0 = min(c0, x); c1 = max(c1, x); r0 = min(r0, y); r1 = max(r1, y)
        } }
        let valid = (minX: gt[0] + Double(c0) * gt[1], maxX: gt[0] + Double(c1 + 1) * gt[1],
                     maxY: gt[3] + Double(r0) * gt[5], minY: gt[3] + Double(r1 + 1) * gt[5])
        for (a, b) in [(xs.min()!, valid.minX), (xs.max()!, valid.maxX), (ys.min()!, valid.minY), (ys.max()!, valid.maxY)] {
            #expect(abs(a - b) < 0.75, "footprint \(a) vs valid pixels \(b)")
        }
        let bbox = try #require(item["bbox"] as? [Double])
        #expect(bbox.count == 4 && bbox[0] == ring.map { $0[0] }.min() && bbox[3] == ring.map { $0[1] }.max())
    }

    @Test("Product folder as the providers lay it out, no DEM: constant height = the PAN RPC's height offset, said in COG and Item")
    func productFolderConstantHeight() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        // Stand-ins for a primary product: the DIMAPs are links to the .geom files (same
        // radiometric fields, read by content), the R1C1 tiles links to the crops, with their models.
        let product = folder + "/PROD_SPOT_PHR_001", fm = FileManager.default
        let scene = "PHR1B_%@_201308051042194_SEN_690908101-001"
        for (kind, image, geom) in [("P", RadiometryPansharpenTests.pan, RadiometryPansharpenTests.panGeom),
                                    ("MS", RadiometryPansharpenTests.ms, RadiometryPansharpenTests.msGeom)] {
            let dir = product + "/IMG_PHR1B_\(kind)_00\(kind == "P" ? 1 : 2)", name = String(format: scene, kind)
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try fm.createSymbolicLink(atPath: dir + "/DIM_\(name).XML", withDestinationPath: try SampleData.path(geom))
            try fm.createSymbolicLink(atPath: dir + "/IMG_\(name)_R1C1.TIF", withDestinationPath: try SampleData.path(image))
            try fm.createSymbolicLink(atPath: dir + "/IMG_\(name)_R1C1.geom", withDestinationPath: try SampleData.path(geom))
        }
        let inputs = try PWHInputs.find(product: product)
        #expect(inputs.pan == product + "/IMG_PHR1B_P_001/IMG_PHR1B_P_201308051042194_SEN_690908101-001_R1C1.TIF")
        #expect(inputs.msMetadata == product + "/IMG_PHR1B_MS_002/DIM_PHR1B_MS_201308051042194_SEN_690908101-001.XML")
        #expect(inputs.id == "PHR1B_PMS_201308051042194_SEN_690908101-001_PWH")

        var request = PWHRequest(product: product, outputFolder: folder + "/out")
        request.register = false
        request.resolution = 1
        request.tileSize = 256
        let result = try PWHRecipe.run(request)
        #expect(result.id == inputs.id && result.relation == "RPC")
        // The full-scene left_image.geom has HEIGHT_OFF 1075 m.
        let note = "constant 1075.0 m above the WGS84 ellipsoid (the PAN RPC's height offset; no DEM given)"
        #expect(result.heightSource == note)
        let ds = try Dataset(path: result.image)
        #expect(ds.metadata()["HEIGHT_SOURCE"] == note && ds.bandCount == 4)
        let item = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: result.item))) as? [String: Any])
        let properties = item["properties"] as? [String: Any]
        #expect(properties?["relief:height_source"] as? String == note && properties?["platform"] as? String == "pleiades-1b")
        // About 250 m x 250 m at 1 m (the footprint at 1075 m instead of the terrain's 480 m is shifted, not shrunk).
        #expect(abs(result.validFraction * Double(result.width * result.height) - 62_500) < 0.05 * 62_500)
    }
}

/// Bad input: clear errors, nothing left in the output folder.
@Suite("PWH recipe: bad input")
struct PWHBadInputTests {
    @Test("A product without a PAN or an MS DIMAP, or no folder at all")
    func productWithoutImages() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let product = folder + "/PROD", out = folder + "/out"
        try FileManager.default.createDirectory(atPath: product + "/IMG_PHR1B_P_001", withIntermediateDirectories: true)
        #expect(throws: PWHError.missingImage(kind: "PAN", product: product, found: [])) {
            try PWHRecipe.run(PWHRequest(product: product, outputFolder: out))
        }
        try "<Dimap_Document/>".write(toFile: product + "/IMG_PHR1B_P_001/DIM_PHR1B_P_201308051042194_SEN_1-001.XML", atomically: true, encoding: .utf8)
        let error = #expect(throws: PWHError.self) { try PWHRecipe.run(PWHRequest(product: product, outputFolder: out)) }
        #expect(error == .missingImage(kind: "MS", product: product, found: ["DIM_PHR1B_P_201308051042194_SEN_1-001.XML"]))
        #expect(error?.description.contains("no MS image in the product") == true, "\(String(describing: error))")
        #expect(throws: PWHError.productNotFound(folder + "/nothing")) {
            try PWHRecipe.run(PWHRequest(product: folder + "/nothing", outputFolder: out))
        }
        #expect(!FileManager.default.fileExists(atPath: out), "the output folder is not even created")
        let r = try DSMRunProcess.run(["pwh", product, "-o", out, "--height", "500"])
        #expect(r.status != 0 && r.err.contains("no MS image in the product"), "\(r.err)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test("Missing metadata, a DEM that does not cover the scene, cancellation: errors and an untouched folder",
          .enabled(if: SampleData.root != nil, SampleData.skipMessage))
    func missingMetadataAndCleanup() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let out = folder + "/out"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try "keep".write(toFile: out + "/earlier.txt", atomically: true, encoding: .utf8)
        let pan = try SampleData.path(RadiometryPansharpenTests.pan), ms = try SampleData.path(RadiometryPansharpenTests.ms)
        // No model or metadata next to the Ventoux crops (their .geom files live in rpc/).
        let missing = #expect(throws: RadiometryError.self) { try PWHRecipe.run(PWHRequest(pan: pan, ms: ms, outputFolder: out)) }
        #expect(missing?.description.contains("no radiometric metadata found for \(pan)") == true, "\(String(describing: missing))")

        var request = try PWHRecipeTests.request(output: out)
        // A DEM far from Ventoux (1x1 degree at 10E 50N).
        let dem = folder + "/far.tif"
        try writeRaster(ImageBuffer<Float>(width: 10, height: 10, filledWith: 300), to: dem, options: .geoTIFF,
                        geoTransform: GeoTransform(10, 0.1, 0, 51, 0, -0.1), spatialReference: try SpatialReference(epsg: 4326))
        request.dem = dem
        #expect(throws: GeometryError.self) { try PWHRecipe.run(request) }

        // Cancelled after the pan-sharpening (temporary files exist by then): all removed.
        request.dem = nil
        request.register = false
        let polls = StepLog()
        #expect(throws: PWHError.cancelled) {
            try PWHRecipe.run(request, isCancelled: { polls.append(.inputs); return polls.steps.count >= 2 })
        }
        #expect(polls.steps.count == 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: out) == ["earlier.txt"])
    }

    @Test("A pipeline-worker payload decodes with only the fields it sets; unknown method or resolution rejected")
    func requestPayload() throws {
        let json = #"{"product": "/archive/PROD_1", "outputFolder": "/out", "dem": "/dem/N44E005.hgt", "geoid": "/dem/egm96_15.gtx"}"#
        let request = try JSONDecoder().decode(PWHRequest.self, from: Data(json.utf8))
        var expected = PWHRequest(product: "/archive/PROD_1", outputFolder: "/out")
        expected.dem = "/dem/N44E005.hgt"
        expected.geoid = "/dem/egm96_15.gtx"
        #expect(request == expected)
        #expect(try JSONDecoder().decode(PWHRequest.self, from: JSONEncoder().encode(expected)) == expected)
        var bad = expected
        bad.method = "ihs"
        #expect(throws: PWHError.invalidRequest(field: "method", value: "ihs", reason: "use gsa or brovey")) { try PWHRecipe.run(bad) }
        bad = expected
        bad.resolution = -1
        #expect(throws: PWHError.invalidRequest(field: "resolution", value: "-1.0", reason: "a positive number of metres")) { try PWHRecipe.run(bad) }
        #expect(!FileManager.default.fileExists(atPath: "/out"))
    }

    @Test("Scene fields of a DIMAP v2: platform, instrument, date + time, centre sun angles; SPOT and Neo names")
    func dimapSceneInfo() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        // The elements PWHSceneInfo reads, where a DIMAP v2 DIM_*.XML has them (values made up).
        let xml = """
            <Dimap_Document><Dataset_Sources><Source_Identification><Strip_Source>
            <MISSION>SPOT</MISSION><MISSION_INDEX>7</MISSION_INDEX><INSTRUMENT>NAOMI</INSTRUMENT>
            <IMAGING_DATE>2019-06-02</IMAGING_DATE><IMAGING_TIME>10:31:07.5</IMAGING_TIME>
            </Strip_Source></Source_Identification></Dataset_Sources>
            <Geometric_Data><Use_Area>
            <Located_Geometric_Values><LOCATION_TYPE>Top Center</LOCATION_TYPE><Solar_Incidences><SUN_AZIMUTH>140.0</SUN_AZIMUTH></Solar_Incidences></Located_Geometric_Values>
            <Located_Geometric_Values><LOCATION_TYPE>Center</LOCATION_TYPE><Solar_Incidences><SUN_AZIMUTH>141.5</SUN_AZIMUTH></Solar_Incidences></Located_Geometric_Values>
            </Use_Area></Geometric_Data></Dimap_Document>
            """
        let path = folder + "/DIM_SPOT7_P_201906021031075_SEN_1.XML"
        try xml.write(toFile: path, atomically: true, encoding: .utf8)
        let radiometry = RadiometricMetadata(file: path, bands: [], sunElevation: 63.2, acquisitionDate: "2019-06-02", dayOfYear: 153)
        let info = PWHSceneInfo.read(path, radiometry: radiometry)
        #expect(info == PWHSceneInfo(platform: "spot-7", instrument: "naomi", datetime: "2019-06-02T10:31:07.5Z",
                                     sunElevation: 63.2, sunAzimuth: 141.5))
        #expect(PWHSceneInfo.platformName(mission: "PNEO", index: "3") == "pleiades-neo-3")
        #expect(PWHSceneInfo.platformName(mission: "PLEIADES", index: "1A") == "pleiades-1a")
        #expect(PWHSceneInfo.rfc3339("2013-08-05T10:42:19.4Z", time: nil) == "2013-08-05T10:42:19.4Z")
        #expect(PWHSceneInfo.rfc3339("2013-08-05", time: nil) == "2013-08-05T00:00:00Z")
    }

    @Test("Command line: PRODUCT and --pan together, --geoid without --dem")
    func commandLine() throws {
        let both = try DSMRunProcess.run(["pwh", "/tmp/p", "--pan", "a.tif", "--ms", "b.tif", "-o", "/tmp/x"])
        #expect(both.status != 0 && both.err.contains("not both"), "\(both.err)")
        let geoid = try DSMRunProcess.run(["pwh", "/tmp/p", "--geoid", "g.gtx", "-o", "/tmp/x"])
        #expect(geoid.status != 0 && geoid.err.contains("--geoid goes with --dem"), "\(geoid.err)")
        let help = try DSMRunProcess.run(["pwh", "--help"])
        #expect(help.status == 0 && help.out.contains("STAC Item"), "\(help.out)")
    }
}

/// Progress steps (or polls) seen, from any thread.
final class StepLog: @unchecked Sendable {
    private let lock = NSLock()
    private var log: [PWHProgress.Step] = []
    func append(_ s: PWHProgress.Step) { lock.withLock { log.append(s) } }
    var steps: [PWHProgress.Step] { lock.withLock { log } }
}
