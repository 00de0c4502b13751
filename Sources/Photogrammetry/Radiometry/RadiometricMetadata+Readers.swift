import Foundation

/// The three readers behind `RadiometricMetadata.load(contentsOf:)`.
///
/// Band order: DIMAP files list the calibration by band id; the image stores its bands in the
/// display order (`RED_CHANNEL`, `GREEN_CHANNEL`, `BLUE_CHANNEL`, then the remaining bands by id:
/// B2 B1 B0 B3 for a Pléiades 4-band MS), as OSSIM and OTB read it. OSSIM `.geom` files list the
/// values by wavelength (B0 B1 B2 B3) and the image bands in `support_data.band_name_list`.
extension RadiometricMetadata {
    /// DIMAP v2 (`Dimap_Document`): `Radiometric_Data/Radiometric_Calibration/Instrument_Calibration/
    /// Band_Measurement_List/Band_Radiance` (BAND_ID, GAIN, BIAS) and `Band_Solar_Irradiance`
    /// (BAND_ID, VALUE); the sun elevation of the `Located_Geometric_Values` whose LOCATION_TYPE is
    /// Center (else the middle one); `Strip_Source/IMAGING_DATE`.
    static func readDIMAPv2(_ root: XMLNode, file: String, solarIrradiance given: [Double]? = nil) throws -> RadiometricMetadata {
        let list = "Radiometric_Data/Radiometric_Calibration/Instrument_Calibration/Band_Measurement_List"
        guard let measurements = root.find("Band_Measurement_List") else {
            throw RadiometryError.missingField(field: list, file: file)
        }
        let radiances = measurements.children.filter { $0.name == "Band_Radiance" }
        guard !radiances.isEmpty else { throw RadiometryError.missingField(field: list + "/Band_Radiance", file: file) }
        var irradiance: [String: Double] = [:]
        for node in measurements.children where node.name == "Band_Solar_Irradiance" {
            let id = node.child("BAND_ID")?.trimmedText ?? ""
            irradiance[id] = try number(node.child("VALUE")?.text, field: "Band_Solar_Irradiance/VALUE of band \(id)", file: file)
        }
        var calibrations: [String: BandCalibration] = [:]
        for node in radiances {
            guard let id = node.child("BAND_ID")?.trimmedText, !id.isEmpty else {
                throw RadiometryError.missingField(field: "Band_Radiance/BAND_ID", file: file)
            }
            let gain = try number(node.child("GAIN")?.text, field: "Band_Radiance/GAIN of band \(id)", file: file)
            let bias = try number(node.child("BIAS")?.text, field: "Band_Radiance/BIAS of band \(id)", file: file)
            guard let e = irradiance[id] ?? (given == nil ? nil : 1) else {
                throw RadiometryError.missingField(field: list + "/Band_Solar_Irradiance/VALUE of band \(id)", file: file)
            }
            calibrations[id] = BandCalibration(id: id, gain: gain, bias: bias, solarIrradiance: e)
        }
        let display = root.path("Raster_Data/Raster_Display/Band_Display_Order")
        let order = imageBandOrder(ids: radiances.compactMap { $0.child("BAND_ID")?.trimmedText }, display: display)
        let values = root.findAll("Located_Geometric_Values")
        let centre = values.first { $0.child("LOCATION_TYPE")?.trimmedText.lowercased() == "center" }
            ?? (values.isEmpty ? nil : values[values.count / 2])
        let elevation = try number(centre?.path("Solar_Incidences/SUN_ELEVATION")?.text,
                                   field: "Geometric_Data/Use_Area/Located_Geometric_Values/Solar_Incidences/SUN_ELEVATION", file: file)
        let date = root.find("Strip_Source")?.child("IMAGING_DATE")?.trimmedText
        return try checked(try applying(given, to: order.map { calibrations[$0]! }, file: file), sunElevation: elevation, date: date,
                           dateField: "Dataset_Sources/Source_Identification/Strip_Source/IMAGING_DATE", file: file)
    }

    /// Pléiades DIMAP v1.4 (`PHR_Dimap_Document`): `Image_Interpretation/Spectral_Band_Info`
    /// (BAND_ID, PHYSICAL_GAIN, PHYSICAL_BIAS), `Data_Strip/Sensor_Calibration/Solar_Irradiance/
    /// Band_Solar_Irradiance` (BAND_ID, SOLAR_IRRADIANCE_VALUE; absent from the sensor products
    /// seen: pass the values to `load(contentsOf:solarIrradiance:)`), the SUN_ELEVATION of the
    /// middle `Located_Geometric_Header` of `Data_Strip/Geometric_Header_List` (start, centre,
    /// end) and `UTC_Acquisition_Range/START`.
    static func readDIMAPv1(_ root: XMLNode, file: String, solarIrradiance given: [Double]? = nil) throws -> RadiometricMetadata {
        let infos = root.findAll("Spectral_Band_Info")
        guard !infos.isEmpty else {
            throw RadiometryError.missingField(field: "Image_Interpretation/Spectral_Band_Info", file: file)
        }
        var irradiance: [String: Double] = [:]
        for node in root.findAll("Band_Solar_Irradiance") {
            let id = node.child("BAND_ID")?.trimmedText ?? ""
            irradiance[id] = try number(node.child("SOLAR_IRRADIANCE_VALUE")?.text,
                                        field: "Band_Solar_Irradiance/SOLAR_IRRADIANCE_VALUE of band \(id)", file: file)
        }
        var calibrations: [String: BandCalibration] = [:]
        for node in infos {
            guard let id = node.child("BAND_ID")?.trimmedText, !id.isEmpty else {
                throw RadiometryError.missingField(field: "Spectral_Band_Info/BAND_ID", file: file)
            }
            let gain = try number(node.child("PHYSICAL_GAIN")?.text, field: "Spectral_Band_Info/PHYSICAL_GAIN of band \(id)", file: file)
            let bias = try number(node.child("PHYSICAL_BIAS")?.text, field: "Spectral_Band_Info/PHYSICAL_BIAS of band \(id)", file: file)
            guard let e = irradiance[id] ?? (given == nil ? nil : 1) else {
                throw RadiometryError.missingField(
                    field: "Data_Strip/Sensor_Calibration/Solar_Irradiance/Band_Solar_Irradiance/SOLAR_IRRADIANCE_VALUE of band \(id)",
                    file: file)
            }
            calibrations[id] = BandCalibration(id: id, gain: gain, bias: bias, solarIrradiance: e)
        }
        let display = root.path("Product_Characteristics/Product_Image_Characteristics/Image_Display_Order")
        let order = imageBandOrder(ids: infos.compactMap { $0.child("BAND_ID")?.trimmedText }, display: display)
        let headers = root.find("Geometric_Header_List")?.children.filter { $0.name == "Located_Geometric_Header" } ?? []
        let middle = headers.isEmpty ? nil : headers[headers.count / 2]
        let elevation = try number(middle?.path("Solar_Incidences/SUN_ELEVATION")?.text,
                                   field: "Data_Strip/Geometric_Header_List/Located_Geometric_Header/Solar_Incidences/SUN_ELEVATION",
                                   file: file)
        let date = root.find("UTC_Acquisition_Range")?.child("START")?.trimmedText
        return try checked(try applying(given, to: order.map { calibrations[$0]! }, file: file), sunElevation: elevation, date: date,
                           dateField: "Data_Strip/UTC_Acquisition_Range/START", file: file)
    }

    /// OSSIM keyword list: `support_data.band_name_list`, `physical_gain`, `physical_bias`,
    /// `solar_irradiance` (sorted by wavelength), `elevation_angle` (the middle of the listed
    /// values), `image_date`.
    static func readGeom(_ text: String, file: String, solarIrradiance given: [Double]? = nil) throws -> RadiometricMetadata {
        let pairs = RPCKeyValueReader.pairs(text)
        func list(_ key: String) throws -> [String] {
            guard let raw = pairs["support_data." + key] else {
                throw RadiometryError.missingField(field: "support_data." + key, file: file)
            }
            let values = raw.replacingOccurrences(of: "\"", with: " ").split(separator: " ").map(String.init)
            guard !values.isEmpty else { throw RadiometryError.missingField(field: "support_data." + key, file: file) }
            return values
        }
        func numbers(_ key: String, count: Int) throws -> [Double] {
            let values = try list(key)
            guard values.count == count else {
                throw RadiometryError.invalidField(field: "support_data." + key, file: file, value: values.joined(separator: " "),
                                                   reason: "\(values.count) value(s) for \(count) band(s)")
            }
            return try values.map { try number($0, field: "support_data." + key, file: file) }
        }
        let names = try list("band_name_list")
        let byWavelength = names.sorted()
        let gains = try numbers("physical_gain", count: names.count)
        let biases = try numbers("physical_bias", count: names.count)
        let irradiances = given == nil ? try numbers("solar_irradiance", count: names.count) : [Double](repeating: 1, count: names.count)
        let bands = names.map { id in
            let k = byWavelength.firstIndex(of: id)!
            return BandCalibration(id: id, gain: gains[k], bias: biases[k], solarIrradiance: irradiances[k])
        }
        let elevations = try list("elevation_angle").map { try number($0, field: "support_data.elevation_angle", file: file) }
        return try checked(try applying(given, to: bands, file: file), sunElevation: elevations[elevations.count / 2], date: pairs["support_data.image_date"],
                           dateField: "support_data.image_date", file: file)
    }

    /// `bands` with the given solar irradiances (image band order), when given.
    static func applying(_ given: [Double]?, to bands: [BandCalibration], file: String) throws -> [BandCalibration] {
        guard let given else { return bands }
        guard given.count == bands.count else {
            throw RadiometryError.invalidField(field: "solar irradiance (given)", file: file, value: given.map { "\($0)" }.joined(separator: ","),
                                               reason: "\(given.count) value(s) for \(bands.count) band(s)")
        }
        return zip(bands, given).map { var b = $0; b.solarIrradiance = $1; return b }
    }

    /// The image's band order: the display channels (red, green, blue) first, then the other ids
    /// in their listed order; the listed order when there is no display order.
    static func imageBandOrder(ids: [String], display: XMLNode?) -> [String] {
        var unique: [String] = []
        for id in ids where !unique.contains(id) { unique.append(id) }
        guard let display, unique.count > 1 else { return unique }
        var order: [String] = []
        for channel in ["RED_CHANNEL", "GREEN_CHANNEL", "BLUE_CHANNEL"] {
            if let id = display.child(channel)?.trimmedText, unique.contains(id), !order.contains(id) { order.append(id) }
        }
        return order + unique.filter { !order.contains($0) }
    }
}
