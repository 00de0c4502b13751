import Foundation
import Photogrammetry
import Raster
import Testing

/// Readers: every format, the crop convention, and clear errors for files without an RPC.
@Suite("RPC readers", .enabled(if: SampleData.root != nil, SampleData.skipMessage))
struct RPCReaderTests {
    static func model(_ relative: String) throws -> RPCModel {
        try RPCModel(contentsOf: try SampleData.path(relative))
    }

    /// Largest image-space difference of two models over a ground grid spanning `a`'s domain.
    static func maxProjectionDifference(_ a: RPCModel, _ b: RPCModel, steps: Int = 8) -> Double {
        let d = a.groundDomain
        var worst = 0.0
        for i in 0...steps {
            for j in 0...steps {
                for k in 0...2 {
                    let lon = d.longitude.lowerBound + (d.longitude.upperBound - d.longitude.lowerBound) * Double(i) / Double(steps)
                    let lat = d.latitude.lowerBound + (d.latitude.upperBound - d.latitude.lowerBound) * Double(j) / Double(steps)
                    let h = d.height.lowerBound + (d.height.upperBound - d.height.lowerBound) * Double(k) / 2
                    let p = a.projection(longitude: lon, latitude: lat, height: h)
                    let q = b.projection(longitude: lon, latitude: lat, height: h)
                    worst = max(worst, abs(p.column - q.column), abs(p.row - q.row))
                }
            }
        }
        return worst
    }

    @Test("formats are recognised by content")
    func formats() throws {
        let cases: [(String, RPCFormat, Bool)] = [
            ("rpc_formats/shareloc/PHR1B_P_201709281038393_SEN_PRG_FC_178609-001.geom", .ossimGeom, false),
            ("rpc_formats/shareloc/RPC_PHR1B_P_201709281038393_SEN_PRG_FC_178609-001.XML", .dimapV2, true),
            ("rpc_formats/shareloc/PHR1B_P_201709281038393_SEN_PRG_FC_178609-001.tif", .gdal, false),
            ("rpc_formats/shareloc/PHRDIMAP_P1BP--2018122638935449CP.XML", .dimapV1, true),
            ("rpc_formats/shareloc/wv3_20.NTF", .gdal, false),
            ("rpc_formats/rpcm/rpc_WV3.xml", .worldView, false),
            ("rpc_formats/rpcm/rpc_IKONOS.txt", .text, false),
            ("rpc_formats/rpcm/rpc_SPOT6.xml", .dimapV2, true),
            ("s2p_reunion_pair/input_pair/img_01.tif", .gdal, false),
            ("rpc_formats/rpcm/JAX_068_001_RGB.json", .rpcmJSON, false),
        ]
        for (file, format, hasDirect) in cases {
            let m = try Self.model(file)
            #expect(m.format == format, "\(file)")
            #expect((m.direct != nil) == hasDirect, "\(file)")
        }
    }

    @Test("files without an RPC are rejected with an error naming them")
    func noRPC() throws {
        let nogeo = try SampleData.path("rpc_formats/shareloc/PHR1B_P_201709281038393_SEN_PRG_FC_178609-001_nogeo.tif")
        #expect(throws: RPCError.noRPC(source: nogeo)) { try RPCModel(contentsOf: nogeo) }
        let fake = try SampleData.path("rpc_formats/shareloc/fake_rpc.txt")
        #expect(throws: RPCError.noRPC(source: fake)) { try RPCModel(contentsOf: fake) }
        let unsupported = try SampleData.path("rpc_formats/rpcm/rpc_unsupported.xml")
        do {
            _ = try RPCModel(contentsOf: unsupported)
            Issue.record("rpc_unsupported.xml was accepted")
        } catch let RPCError.unsupportedFormat(source, reason) {
            #expect(source == unsupported)
            #expect(reason.contains("VRTDataset"))
        }
        // EnMAP holds one model per band: not a single-camera RPC file we read.
        let enmap = try SampleData.path("rpc_formats/rpcm/ENMAP01-____L1B-DT0000001011_20220609T081225Z_001_V010111_20230119T143357Z-METADATA.XML")
        #expect(throws: RPCError.self) { try RPCModel(contentsOf: enmap) }
        // The same image as an image: its product's RPC_<id>.XML is in its folder and its name
        // holds the product id, so `load(image:)` finds it.
        let found = try RPCModel.load(image: nogeo)
        #expect(found.source.hasSuffix("RPC_PHR1B_P_201709281038393_SEN_PRG_FC_178609-001.XML"))
        // Alone in a folder, the image has no RPC anywhere: the error names it.
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        try FileManager.default.createSymbolicLink(atPath: folder + "/alone.tif", withDestinationPath: nogeo)
        #expect(throws: RPCError.noRPC(source: folder + "/alone.tif")) { try RPCModel.load(image: folder + "/alone.tif") }
    }

    @Test("a DIMAP file with a missing or bad field names the field and the file")
    func damagedDimap() throws {
        let v2Path = try SampleData.path("rpc_formats/shareloc/RPC_PHR1B_P_201709281038393_SEN_PRG_FC_178609-001.XML")
        let text = try String(contentsOfFile: v2Path, encoding: .utf8)
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let missing = folder + "/RPC_missing.XML", bad = folder + "/RPC_bad.XML", zero = folder + "/RPC_zero.XML", broken = folder + "/RPC_broken.XML"
        try text.replacingOccurrences(of: "<LINE_OFF>11470.5</LINE_OFF>", with: "").write(toFile: missing, atomically: true, encoding: .utf8)
        try text.replacingOccurrences(of: "<LINE_NUM_COEFF_7>", with: "<LINE_NUM_COEFF_7>x").write(toFile: bad, atomically: true, encoding: .utf8)
        try text.replacingOccurrences(of: "<HEIGHT_SCALE>630</HEIGHT_SCALE>", with: "<HEIGHT_SCALE>0</HEIGHT_SCALE>").write(toFile: zero, atomically: true, encoding: .utf8)
        try String(text.prefix(2000)).write(toFile: broken, atomically: true, encoding: .utf8)
        #expect(throws: RPCError.missingField("LINE_OFF", source: missing)) { try RPCModel(contentsOf: missing) }
        do {
            _ = try RPCModel(contentsOf: bad)
            Issue.record("a non-numeric coefficient was accepted")
        } catch let RPCError.badValue(field, _, source) {
            #expect(field == "LINE_NUM_COEFF_7" && source == bad)
        }
        #expect(throws: RPCError.badValue("HEIGHT_SCALE", "0 (a scale must not be zero)", source: zero)) { try RPCModel(contentsOf: zero) }
        #expect(throws: RPCError.unsupportedFormat(source: broken, reason: "not well-formed XML")) { try RPCModel(contentsOf: broken) }
    }

    /// The same scene in three formats. Coefficients are printed with 15-16 significant digits
    /// in each file, so they agree far below the issue's 1e-4 px.
    @Test("178609 as .geom, DIMAP v2 XML and GeoTIFF tags gives the same projections")
    func threeFormats() throws {
        let geom = try Self.model("rpc_formats/shareloc/PHR1B_P_201709281038393_SEN_PRG_FC_178609-001.geom")
        let xml = try Self.model("rpc_formats/shareloc/RPC_PHR1B_P_201709281038393_SEN_PRG_FC_178609-001.XML")
        let tif = try Self.model("rpc_formats/shareloc/PHR1B_P_201709281038393_SEN_PRG_FC_178609-001.tif")
        let d1 = Self.maxProjectionDifference(geom, xml), d2 = Self.maxProjectionDifference(geom, tif)
        print("RPC three formats: max |Δ| geom-xml \(d1) px, geom-tif \(d2) px")
        #expect(d1 < 1e-4)
        #expect(d2 < 1e-4)
        // 178608 as .geom and DIMAP v2 too.
        let g8 = try Self.model("rpc_formats/shareloc/PHR1B_P_201709281038045_SEN_PRG_FC_178608-001.geom")
        let x8 = try Self.model("rpc_formats/shareloc/RPC_PHR1B_P_201709281038045_SEN_PRG_FC_178608-001.XML")
        #expect(Self.maxProjectionDifference(g8, x8) < 1e-4)
    }

    /// CNES crop convention: left_image.tif has no RPC, its geotransform origin (5000, 5000)
    /// is its offset in the full scene of left_image.geom.
    @Test("Ventoux crops: the full-scene .geom shifted by the crop origin")
    func ventouxCrop() throws {
        let image = try SampleData.path("cars_phr_ventoux/image/phr_ventoux/left_image.tif")
        let geomPath = try SampleData.path("cars_phr_ventoux/rpc/phr_ventoux/left_image.geom")
        let full = try RPCModel(contentsOf: geomPath)
        let crop = try RPCModel.load(image: image, model: geomPath)
        let offset = try #require(RPCModel.cropOffset(ofImage: image))
        #expect(offset.column == 5000 && offset.row == 5000)
        let g = try full.localization(column: 5250, row: 5125, height: 480)
        let p = crop.projection(longitude: g.longitude, latitude: g.latitude, height: 480)
        #expect(abs(p.column - 250) < 1e-4 && abs(p.row - 125) < 1e-4, "\(p)")
        // Localisation in the crop equals localisation in the full scene at the shifted pixel.
        let gc = try crop.localization(column: 250, row: 125, height: 480)
        #expect(abs(gc.longitude - g.longitude) < 1e-9 && abs(gc.latitude - g.latitude) < 1e-9)
        // Right image: origin (4915, 5162).
        let right = try SampleData.path("cars_phr_ventoux/image/phr_ventoux/right_image.tif")
        let r = try #require(RPCModel.cropOffset(ofImage: right))
        #expect(r.column == 4915 && r.row == 5162)
        // The DIMAP v2 XML of the same left scene agrees with the .geom.
        let xml = try RPCModel(contentsOf: try SampleData.path("cars_phr_ventoux/rpc/phr_ventoux/RPC_PHR1B_P_201308051042194_SEN_690908101-001.XML"))
        #expect(Self.maxProjectionDifference(full, xml) < 1e-4)
        // Its direct model is shifted with the crop too: the crop's direct localisation equals the
        // full scene's at the shifted pixel.
        let xmlCrop = xml.cropped(column: 5000, row: 5000)
        let a = try #require(xmlCrop.directLocalization(column: 250, row: 125, height: 480))
        let b = try #require(xml.directLocalization(column: 5250, row: 5125, height: 480))
        #expect(abs(a.longitude - b.longitude) < 1e-12 && abs(a.latitude - b.latitude) < 1e-12)
        let c = try xmlCrop.localization(column: 250, row: 125, height: 480)
        #expect(abs(c.longitude - gc.longitude) < 1e-8 && abs(c.latitude - gc.latitude) < 1e-8)
        // An image with embedded RPC tags and a non-crop geotransform is not shifted.
        let tif = try SampleData.path("rpc_formats/shareloc/PHR1B_P_201709281038393_SEN_PRG_FC_178609-001.tif")
        #expect(RPCModel.cropOffset(ofImage: tif) == nil)
    }

    /// No Pléiades Neo file is in the corpus: the test rewrites the 178609 DIMAP v2 file with Neo
    /// block names (`ImagetoGround_Values`, `GroundtoImage_Values`, `LON_*`/`LAT_*`) and 0-based
    /// offsets, and checks the reader gives the same model.
    @Test("Pléiades Neo block names and 0-based offsets")
    func pleiadesNeo() throws {
        let v2Path = try SampleData.path("rpc_formats/shareloc/RPC_PHR1B_P_201709281038393_SEN_PRG_FC_178609-001.XML")
        var text = try String(contentsOfFile: v2Path, encoding: .utf8)
        let direct = try #require(text.range(of: "<Direct_Model>")), directEnd = try #require(text.range(of: "</Direct_Model>"))
        var block = String(text[direct.upperBound..<directEnd.lowerBound])
        block = block.replacingOccurrences(of: "SAMP_", with: "LON_").replacingOccurrences(of: "LINE_", with: "LAT_")
        text.replaceSubrange(direct.lowerBound..<directEnd.upperBound, with: "<ImagetoGround_Values>" + block + "</ImagetoGround_Values>")
        text = text.replacingOccurrences(of: "Inverse_Model>", with: "GroundtoImage_Values>")
        text = text.replacingOccurrences(of: "<SAMP_OFF>20000.5</SAMP_OFF>", with: "<SAMP_OFF>19999.5</SAMP_OFF>")
        text = text.replacingOccurrences(of: "<LINE_OFF>11470.5</LINE_OFF>", with: "<LINE_OFF>11469.5</LINE_OFF>")
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let neoPath = folder + "/RPC_neo.XML"
        try text.write(toFile: neoPath, atomically: true, encoding: .utf8)
        let neo = try RPCModel(contentsOf: neoPath)
        let v2 = try RPCModel(contentsOf: v2Path)
        #expect(neo.format == .pleiadesNeo)
        #expect(neo.coefficients == v2.coefficients)
        let a = try #require(neo.directLocalization(column: 1000, row: 2000, height: 300))
        let b = try #require(v2.directLocalization(column: 1000, row: 2000, height: 300))
        #expect(a.longitude == b.longitude && a.latitude == b.latitude)
    }

    /// A DIMAP product folder: `IMG_<id>_R1C1.tif` next to several `RPC_<id>.XML` (links to the
    /// corpus files in a temporary folder).
    @Test("an image finds its RPC_<id>.XML among several in its folder")
    func dimapProductFolder() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let fm = FileManager.default
        let base = "rpc_formats/shareloc/"
        try fm.createSymbolicLink(atPath: folder + "/IMG_PHR1B_P_201709281038393_SEN_PRG_FC_178609-001_R1C1.tif",
                                  withDestinationPath: try SampleData.path(base + "PHR1B_P_201709281038393_SEN_PRG_FC_178609-001_nogeo.tif"))
        for id in ["PHR1B_P_201709281038393_SEN_PRG_FC_178609-001", "PHR1B_P_201709281038045_SEN_PRG_FC_178608-001"] {
            try fm.createSymbolicLink(atPath: folder + "/RPC_\(id).XML", withDestinationPath: try SampleData.path(base + "RPC_\(id).XML"))
        }
        let model = try RPCModel.load(image: folder + "/IMG_PHR1B_P_201709281038393_SEN_PRG_FC_178609-001_R1C1.tif")
        #expect(model.source.hasSuffix("RPC_PHR1B_P_201709281038393_SEN_PRG_FC_178609-001.XML"))
        #expect(model.format == .dimapV2)
        // An image whose name matches none of them: no model, a clear error.
        try fm.createSymbolicLink(atPath: folder + "/other.tif",
                                  withDestinationPath: try SampleData.path(base + "PHR1B_P_201709281038393_SEN_PRG_FC_178609-001_nogeo.tif"))
        #expect(throws: RPCError.self) { try RPCModel.load(image: folder + "/other.tif") }
    }

    /// GDAL sidecars: a TIFF without RPC tags next to an `.RPB` gets its model from it.
    @Test("a .RPB sidecar is found through GDAL")
    func rpbSidecar() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let reference = try Self.model("s2p_reunion_pair/input_pair/img_01.tif")
        try writeRaster(ImageBuffer<UInt8>(width: 8, height: 8), to: folder + "/scene.tif")
        let c = reference.coefficients
        func poly(_ p: [Double]) -> String { "(\n" + p.map { "\t\t\t\($0)" }.joined(separator: ",\n") + ")" }
        let rpb = """
            satId = "PHR1B";
            bandId = "P";
            SpecId = "RPC00B";
            BEGIN_GROUP = IMAGE
            \terrBias = -1.0;
            \terrRand = -1.0;
            \tlineOffset = \(c.lineOffset);
            \tsampOffset = \(c.sampleOffset);
            \tlatOffset = \(c.latitudeOffset);
            \tlongOffset = \(c.longitudeOffset);
            \theightOffset = \(c.heightOffset);
            \tlineScale = \(c.lineScale);
            \tsampScale = \(c.sampleScale);
            \tlatScale = \(c.latitudeScale);
            \tlongScale = \(c.longitudeScale);
            \theightScale = \(c.heightScale);
            \tlineNumCoef = \(poly(c.lineNumerator));
            \tlineDenCoef = \(poly(c.lineDenominator));
            \tsampNumCoef = \(poly(c.sampleNumerator));
            \tsampDenCoef = \(poly(c.sampleDenominator));
            END_GROUP = IMAGE
            END;
            """
        try rpb.write(toFile: folder + "/scene.RPB", atomically: true, encoding: .utf8)
        let loaded = try RPCModel.load(image: folder + "/scene.tif")
        #expect(loaded.format == .gdal)
        #expect(Self.maxProjectionDifference(reference, loaded) < 1e-6)
        // The .RPB given as the model itself is read without GDAL, to the same model.
        let direct = try RPCModel(contentsOf: folder + "/scene.RPB")
        #expect(direct.coefficients == loaded.coefficients)
    }
}
