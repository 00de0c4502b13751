import Foundation
import Testing
@testable import Raster

/// Real Pléiades files from RELIEF_SAMPLE_DATA. The 90 RPC values of the shareloc GeoTIFF are
/// checked against the same scene's DIMAP v2 XML (parsed here, independently of GDAL): the XML
/// counts pixels from 1, so its LINE_OFF / SAMP_OFF are one more than the GeoTIFF's.
@Suite("Real samples", .enabled(if: SampleData.root != nil, SampleData.skipMessage))
struct SampleDataTests {
    static let rpcScalars = ["LINE_OFF", "SAMP_OFF", "LAT_OFF", "LONG_OFF", "HEIGHT_OFF",
                             "LINE_SCALE", "SAMP_SCALE", "LAT_SCALE", "LONG_SCALE", "HEIGHT_SCALE"]
    static let rpcPolynomials = ["LINE_NUM_COEFF", "LINE_DEN_COEFF", "SAMP_NUM_COEFF", "SAMP_DEN_COEFF"]

    /// The 90 RPC values of GDAL's RPC domain, keyed like the DIMAP tags (LINE_NUM_COEFF_1 ...).
    static func rpcValues(_ ds: Dataset) throws -> [String: Double] {
        let md = ds.metadata(domain: "RPC")
        var values: [String: Double] = [:]
        for key in rpcScalars { values[key] = try #require(Double(try #require(md[key], "\(key) missing"))) }
        for key in rpcPolynomials {
            let list = try #require(md[key]).split(separator: " ").map { Double($0) }
            #expect(list.count == 20 && list.allSatisfy { $0 != nil }, "\(key) must hold 20 numbers")
            for (i, v) in list.enumerated() { values["\(key)_\(i + 1)"] = v }
        }
        return values
    }

    @Test("s2p Réunion img_01: 1024x1024 UInt16 with 90 RPC values around 55.7E 21.2S")
    func reunion() throws {
        let ds = try Dataset(path: try SampleData.path("s2p_reunion_pair/input_pair/img_01.tif"))
        #expect(ds.width == 1024 && ds.height == 1024 && ds.bandCount == 1)
        #expect(try ds.pixelType() == .uint16)
        #expect(ds.metadataDomains.contains("RPC"))
        let rpc = try Self.rpcValues(ds)
        #expect(rpc.count == 90)
        #expect(abs(rpc["LAT_OFF"]! - -21.2316081288) < 1e-9)     // value printed by gdalinfo
        #expect(abs(rpc["LONG_OFF"]! - 55.7119698801) < 1e-9)
        #expect(rpc["LINE_DEN_COEFF_1"] == 1 && rpc["SAMP_DEN_COEFF_1"] == 1)
        let pixels = try ds.read(UInt16.self, window: Window(x: 500, y: 500, width: 64, height: 64))
        #expect(pixels.storage.max()! > 0 && pixels.storage.max()! < 4096, "12-bit Pléiades DN")
        #expect(ds.geoTransform == nil && ds.spatialReference == nil, "sensor geometry, no georeferencing")
    }

    @Test("shareloc 178609 GeoTIFF RPC tags equal the scene's DIMAP v2 inverse model (90 values)")
    func sharelocAgainstDIMAP() throws {
        let ds = try Dataset(path: try SampleData.path("rpc_formats/shareloc/PHR1B_P_201709281038393_SEN_PRG_FC_178609-001.tif"))
        #expect(ds.width == 128 && ds.height == 128)
        #expect(try ds.pixelType() == .uint16)
        let tif = try Self.rpcValues(ds)
        let xml = try String(contentsOfFile: try SampleData.path(
            "rpc_formats/shareloc/RPC_PHR1B_P_201709281038393_SEN_PRG_FC_178609-001.XML"), encoding: .utf8)
        let inverse = try #require(xml.range(of: "<Inverse_Model>").map { xml[$0.upperBound...] })
        let inverseBlock = String(inverse[..<inverse.range(of: "</Inverse_Model>")!.lowerBound])
        var compared = 0
        for (key, value) in tif {
            let isPolynomial = Self.rpcPolynomials.contains { key.hasPrefix($0) }
            let text = isPolynomial ? inverseBlock : xml
            let dimap = try #require(Self.xmlNumber(key, in: text), "tag \(key) not in the DIMAP file")
            let expected = (key == "LINE_OFF" || key == "SAMP_OFF") ? dimap - 1 : dimap
            #expect(abs(value - expected) <= 1e-12 * max(1, abs(expected)), "\(key): GeoTIFF \(value), DIMAP \(expected)")
            compared += 1
        }
        #expect(compared == 90)
    }

    static func xmlNumber(_ tag: String, in text: String) -> Double? {
        guard let open = text.range(of: "<\(tag)>"),
              let close = text.range(of: "</\(tag)>", range: open.upperBound..<text.endIndex) else { return nil }
        return Double(text[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces))
    }

    @Test("a GeoTIFF without RPC has no RPC domain; NITF with an RPC00B TRE exposes one")
    func otherFormats() throws {
        let nogeo = try Dataset(path: try SampleData.path("rpc_formats/shareloc/PHR1B_P_201709281038393_SEN_PRG_FC_178609-001_nogeo.tif"))
        #expect(nogeo.metadata(domain: "RPC").isEmpty)
        let nitf = try Dataset(path: try SampleData.path("rpc_formats/shareloc/wv3_20.NTF"))
        #expect(nitf.driverName == "NITF")
        #expect(nitf.width == 500 && nitf.height == 500)
        #expect(try Self.rpcValues(nitf).count == 90)
    }

    @Test("a crop's non-georeferenced geotransform carries its offset in the full scene")
    func cropOffset() throws {
        let ds = try Dataset(path: try SampleData.path("cars_phr_ventoux/image/phr_ventoux/right_image.tif"))
        let gt = try #require(ds.geoTransform)
        #expect(gt.coefficients.0 == 4915 && gt.coefficients.3 == 5162)
        #expect(ds.spatialReference == nil)
    }
}
