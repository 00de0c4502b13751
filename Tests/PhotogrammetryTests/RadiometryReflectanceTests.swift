import Foundation
import Photogrammetry
import Raster
import Testing

/// DN -> top-of-atmosphere reflectance: metadata readers, the formula checked by hand, errors.
@Suite("Radiometry: reflectance")
struct RadiometryReflectanceTests {
    static let msImage = "cars_phr_ventoux/image/phr_ventoux/lowres_color_image.tif"
    static let msGeom = "cars_phr_ventoux/rpc/phr_ventoux/lowres_color_image.geom"
    static let phrDimap = "rpc_formats/shareloc/PHRDIMAP_P1BP--2017030824934340CP.XML"

    @Test("Earth-Sun distance: perihelion and aphelion, day of year")
    func earthSun() {
        // Ephemeris: 0.98329 AU on 4 January (perihelion), 1.01671 AU on 4-5 July (aphelion).
        // The first-order model is within 2e-4 AU of them.
        #expect(abs(earthSunDistance(dayOfYear: 4) - 0.98328) < 2e-4)
        #expect(abs(earthSunDistance(dayOfYear: 186) - 1.01671) < 2e-4)
        #expect(dayOfYear(isoDate: "2013-08-05T10:42:19.4Z") == 217)
        #expect(dayOfYear(isoDate: "2016-03-01") == 61)   // leap year
        #expect(dayOfYear(isoDate: "2017-02-30") == nil)
        #expect(dayOfYear(isoDate: "yesterday") == nil)
    }

    @Test("OSSIM .geom: gains by wavelength put in the image's band order B2 B1 B0 B3",
          .enabled(if: SampleData.root != nil, SampleData.skipMessage))
    func geomReader() throws {
        let m = try RadiometricMetadata.load(contentsOf: try SampleData.path(Self.msGeom))
        #expect(m.bands.map(\.id) == ["B2", "B1", "B0", "B3"])
        // The file lists physical_gain "10.46 10.47 11.32 17.21" and solar_irradiance
        // "1915 1830 1594 1060" for B0 B1 B2 B3.
        #expect(m.bands.map(\.gain) == [11.32, 10.47, 10.46, 17.21])
        #expect(m.bands.map(\.solarIrradiance) == [1594, 1830, 1915, 1060])
        #expect(m.bands.allSatisfy { $0.bias == 0 })
        #expect(m.sunElevation == 59.8333141632861)   // middle of the three elevation_angle values
        #expect(m.dayOfYear == 217)
    }

    @Test("reflectance of band 1 equals pi L d^2 / (E cos z) computed here from the .geom's numbers",
          .enabled(if: SampleData.root != nil, SampleData.skipMessage))
    func formulaByHand() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let image = try SampleData.path(Self.msImage), output = folder + "/reflectance.tif"
        let (status, text) = try run(["reflectance", image, "--dimap", try SampleData.path(Self.msGeom), "-o", output])
        #expect(status == 0, "\(text)")
        // From lowres_color_image.geom: band 1 is B2, gain 11.32, bias 0, E_sun 1594 W/m²/µm,
        // sun elevation 59.8333141632861°, image_date 2013-08-05 (day 217).
        let d = 1 - 0.01672 * cos(0.9856 * Double(217 - 4) * Double.pi / 180)
        let cosZenith = cos((90 - 59.8333141632861) * Double.pi / 180)
        let dn = try Dataset(path: image).read(Float.self, window: Window(x: 0, y: 0, width: 145, height: 145), bands: [1])
        let written = try Dataset(path: output)
        let type = try written.pixelType()
        #expect(written.bandCount == 4 && written.width == 145 && type == .uint16)
        let rho = try written.read(UInt16.self, window: Window(x: 0, y: 0, width: 145, height: 145), bands: [1])
        var worst = 0.0
        for (value, stored) in zip(dn.storage, rho.storage) {
            let radiance = Double(value) / 11.32 + 0
            let expected = (Double.pi * radiance * d * d / (1594 * cosZenith) * 10_000).rounded()
            worst = max(worst, abs(expected - Double(stored)))
        }
        // 1 unit of 1e-4 reflectance: the kernel works in Float32 (7 significant digits) and
        // rounds, so a value within 1e-7 relative of a .5 boundary may round the other way.
        #expect(worst <= 1)
        #expect(rho.storage.contains { $0 > 500 })   // real reflectances (> 5 %), not zeros
        #expect(written.metadata()["REFLECTANCE_SCALE"] == "10000")
        #expect(RPCModel.cropOffset(ofImage: output)! == (1240, 1240))   // crop convention kept
    }

    @Test("Pléiades DIMAP v1.4 without solar irradiance: an error naming the field and the file",
          .enabled(if: SampleData.root != nil, SampleData.skipMessage))
    func missingIrradiance() throws {
        let file = try SampleData.path(Self.phrDimap)
        #expect {
            try RadiometricMetadata.load(contentsOf: file)
        } throws: { error in
            guard case RadiometryError.missingField(let field, let where_) = error else { return false }
            return field.contains("SOLAR_IRRADIANCE_VALUE") && field.contains("PA") && where_ == file
        }
        // With the irradiance given, the rest comes from the file.
        let m = try RadiometricMetadata.load(contentsOf: file, solarIrradiance: [1548])
        #expect(m.bands.map(\.id) == ["PA"] && m.bands[0].gain == 12.27 && m.bands[0].bias == 0)
        #expect(m.sunElevation == 55.95562929073025)   // the middle Located_Geometric_Header
        #expect(m.acquisitionDate.hasPrefix("2017-03-08") && m.dayOfYear == 67)
        // A real image (dsm-run checks that its inputs exist before reading the metadata).
        let image = try SampleData.path("cars_phr_ventoux/image/phr_ventoux/left_image.tif")
        let (status, text) = try run(["reflectance", image, "--dimap", file, "-o", "/tmp/never.tif"])
        #expect(status != 0 && text.contains("SOLAR_IRRADIANCE_VALUE") && text.contains(file))
    }

    @Test("dsm-run reflectance: --help, no metadata next to the image, wrong band count",
          .enabled(if: SampleData.root != nil, SampleData.skipMessage))
    func commandErrors() throws {
        let help = try run(["reflectance", "--help"])
        #expect(help.status == 0 && help.output.contains("--dimap") && help.output.contains("--solar-irradiance"))
        let pan = try SampleData.path("cars_phr_ventoux/image/phr_ventoux/left_image.tif")
        let none = try run(["reflectance", pan, "-o", "/tmp/never.tif"])
        #expect(none.status != 0 && none.output.contains("no radiometric metadata found for \(pan)"), "\(none.output)")
        // The 4-band MS metadata for the 1-band PAN.
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let wrong = try run(["reflectance", pan, "--dimap", try SampleData.path(Self.msGeom), "-o", folder + "/r.tif"])
        #expect(wrong.status != 0 && wrong.output.contains("has 1 band(s) but") && wrong.output.contains("describes 4"))
        #expect(!FileManager.default.fileExists(atPath: folder + "/r.tif"))
        let badList = try run(["reflectance", pan, "--solar-irradiance", "1548,x", "-o", folder + "/r.tif"])
        #expect(badList.status != 0 && badList.output.contains("is invalid for '--solar-irradiance <solar-irradiance>': must be positive numbers"))
    }

    /// A minimal DIMAP v2 document with the radiometric fields (`drop` removes one element).
    static func dimapV2(drop: String? = nil) -> String {
        var bands = ""
        for (id, gain, e) in [("B0", 9.5, 1915.0), ("B1", 9.7, 1830.0), ("B2", 10.9, 1594.0), ("B3", 16.0, 1060.0)] {
            bands += "<Band_Radiance><BAND_ID>\(id)</BAND_ID><MEASURE_UNIT>W/m2/sr/um</MEASURE_UNIT>"
                + (drop == "GAIN" && id == "B1" ? "" : "<GAIN>\(gain)</GAIN>") + "<BIAS>0.5</BIAS></Band_Radiance>"
            bands += "<Band_Solar_Irradiance><BAND_ID>\(id)</BAND_ID><VALUE>\(e)</VALUE></Band_Solar_Irradiance>"
        }
        let sun = drop == "SUN_ELEVATION" ? "" : "<SUN_ELEVATION>41.5</SUN_ELEVATION>"
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <Dimap_Document>
              <Dataset_Sources><Source_Identification><Strip_Source><MISSION>PHR</MISSION>
                <IMAGING_DATE>2019-12-31</IMAGING_DATE><IMAGING_TIME>10:00:00.0Z</IMAGING_TIME></Strip_Source></Source_Identification></Dataset_Sources>
              <Raster_Data><Raster_Display><Band_Display_Order><RED_CHANNEL>B2</RED_CHANNEL><GREEN_CHANNEL>B1</GREEN_CHANNEL>
                <BLUE_CHANNEL>B0</BLUE_CHANNEL></Band_Display_Order></Raster_Display></Raster_Data>
              <Geometric_Data><Use_Area>
                <Located_Geometric_Values><LOCATION_TYPE>Top Center</LOCATION_TYPE><Solar_Incidences><SUN_ELEVATION>40</SUN_ELEVATION></Solar_Incidences></Located_Geometric_Values>
                <Located_Geometric_Values><LOCATION_TYPE>Center</LOCATION_TYPE><Solar_Incidences>\(sun)</Solar_Incidences></Located_Geometric_Values>
              </Use_Area></Geometric_Data>
              <Radiometric_Data><Radiometric_Calibration><Instrument_Calibration><Band_Measurement_List>\(bands)
              </Band_Measurement_List></Instrument_Calibration></Radiometric_Calibration></Radiometric_Data>
            </Dimap_Document>
            """
    }

    @Test("DIMAP v2: calibration by band id in display order, centre sun elevation; missing fields named")
    func dimapV2Reader() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let file = folder + "/DIM_PHR1A_MS_TEST.XML"
        try Self.dimapV2().write(toFile: file, atomically: true, encoding: .utf8)
        let m = try RadiometricMetadata.load(contentsOf: file)
        #expect(m.bands.map(\.id) == ["B2", "B1", "B0", "B3"])
        #expect(m.bands.map(\.gain) == [10.9, 9.7, 9.5, 16.0] && m.bands.map(\.solarIrradiance) == [1594, 1830, 1915, 1060])
        #expect(m.bands[0].bias == 0.5 && m.sunElevation == 41.5 && m.dayOfYear == 365)
        // Found next to an image in the same folder.
        #expect(try RadiometricMetadata.find(forImage: folder + "/IMG_PHR1A_MS_TEST_R1C1.TIF") == file)
        for (field, expected) in [("GAIN", "GAIN of band B1"), ("SUN_ELEVATION", "SUN_ELEVATION")] {
            try Self.dimapV2(drop: field).write(toFile: file, atomically: true, encoding: .utf8)
            #expect {
                try RadiometricMetadata.load(contentsOf: file)
            } throws: { error in
                guard case RadiometryError.missingField(let f, let w) = error else { return false }
                return f.contains(expected) && w == file && "\(error)".contains(file)
            }
        }
        #expect(throws: RadiometryError.self) { try RadiometricMetadata.find(forImage: "/nonexistent/IMG.TIF") }
    }

    @Test("kernel: nodata kept, values clamped to 1...65535, bias applied after the gain")
    func kernel() {
        let dn: [Float] = [0, 100, 1e9, .nan, 50]
        var out = [UInt16](repeating: 7, count: dn.count)
        let k = reflectanceFactor(solarIrradiance: 1000, sunElevation: 90, earthSunDistance: 1)   // pi / 1000
        dn.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                convertToReflectance(src, into: dst, gain: 10, bias: 1, factor: k, nodata: 0)
            }
        }
        // DN 100: L = 100 / 10 + 1 = 11, rho = 11 pi / 1000 = 0.034558 -> 346.
        #expect(out == [0, 346, 65535, 0, UInt16((10_000 * (5 + 1) * Double.pi / 1000).rounded())])
    }

    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let result = try DSMRunProcess.run(arguments)
        return (result.status, result.out + result.err)
    }
    func run(_ arguments: [String]) throws -> (status: Int32, output: String) { try Self.run(arguments) }
}
