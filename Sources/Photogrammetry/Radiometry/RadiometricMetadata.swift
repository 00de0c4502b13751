import Foundation

/// The absolute calibration of one spectral band, as the provider gives it.
public struct BandCalibration: Sendable, Equatable {
    /// The provider's band name ("P"/"PA", "B0" blue, "B1" green, "B2" red, "B3" near infrared).
    public var id: String
    /// Absolute calibration gain, DN per radiance unit (W m⁻² sr⁻¹ µm⁻¹).
    public var gain: Double
    /// Absolute calibration bias, in radiance units.
    public var bias: Double
    /// Mean exo-atmospheric solar irradiance over the band at 1 AU, W m⁻² µm⁻¹.
    public var solarIrradiance: Double

    public init(id: String, gain: Double, bias: Double, solarIrradiance: Double) {
        (self.id, self.gain, self.bias, self.solarIrradiance) = (id, gain, bias, solarIrradiance)
    }
}

/// What DN -> top-of-atmosphere reflectance needs from a Pléiades / SPOT 6-7 product's metadata.
///
/// Provider convention (Pléiades and SPOT 6/7 user guides, "radiometric calibration"; OTB's
/// `ImageToLuminanceImageFilter` follows it): radiance L = DN / GAIN + BIAS, i.e.
/// DN = GAIN (L - BIAS). With BIAS = 0, as in every product seen, this equals DN = GAIN L + BIAS.
public struct RadiometricMetadata: Sendable, Equatable {
    /// The file the values were read from.
    public var file: String
    /// One calibration per image band, in the image's band order.
    public var bands: [BandCalibration]
    /// Sun elevation above the horizon at the scene centre, degrees.
    public var sunElevation: Double
    /// The acquisition date (UTC, ISO 8601 as written in the file).
    public var acquisitionDate: String
    /// Day of the year of the acquisition (1 = 1 January).
    public var dayOfYear: Int

    public init(file: String, bands: [BandCalibration], sunElevation: Double, acquisitionDate: String, dayOfYear: Int) {
        self.file = file
        self.bands = bands
        self.sunElevation = sunElevation
        self.acquisitionDate = acquisitionDate
        self.dayOfYear = dayOfYear
    }

    /// Earth-Sun distance on the acquisition day, AU (`earthSunDistance(dayOfYear:)`).
    public var earthSunDistance: Double { Photogrammetry.earthSunDistance(dayOfYear: dayOfYear) }

    /// Reads a DIMAP v2 (`DIM_*.XML`, Pléiades / SPOT 6-7 / Pléiades Neo), a Pléiades DIMAP v1.4
    /// (`PHRDIMAP_*.XML`) or an OSSIM `.geom` keyword list with `support_data.*` (as written by
    /// OTB/OSSIM for Pléiades). Missing or unusable fields throw `RadiometryError` naming the
    /// field and the file.
    public static func load(contentsOf path: String) throws -> RadiometricMetadata {
        try load(contentsOf: path, solarIrradiance: nil)
    }

    /// As `load(contentsOf:)`, with the solar irradiance of each band (image band order) given
    /// instead of read: for files without it (Pléiades DIMAP v1.4 sensor products).
    public static func load(contentsOf path: String, solarIrradiance: [Double]?) throws -> RadiometricMetadata {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RadiometryError.unreadableFile(path)
        }
        let head = String(decoding: data.prefix(4096), as: UTF8.self)
        if head.contains("<") && (head.contains("Dimap_Document") || head.contains("DIMAP")) {
            guard let root = XMLNode.parse(data) else {
                throw RadiometryError.invalidField(field: "(XML)", file: path, value: "", reason: "not well-formed XML")
            }
            switch root.name {
            case "Dimap_Document": return try readDIMAPv2(root, file: path, solarIrradiance: solarIrradiance)
            case "PHR_Dimap_Document": return try readDIMAPv1(root, file: path, solarIrradiance: solarIrradiance)
            default: throw RadiometryError.unknownMetadataFormat(file: path)
            }
        }
        if head.contains("support_data.") || head.contains("polynomial_format") || head.contains("ossim") {
            return try readGeom(String(decoding: data, as: UTF8.self), file: path, solarIrradiance: solarIrradiance)
        }
        throw RadiometryError.unknownMetadataFormat(file: path)
    }

    /// The metadata file of an image when none is given: `DIM_*.XML` in the image's folder (the
    /// only one, or the one whose product id is in the image name), then `PHRDIMAP_*.XML` the same
    /// way, then `<name>.geom`. The error lists the candidates looked for.
    public static func find(forImage image: String) throws -> String {
        let url = URL(fileURLWithPath: image)
        let folder = url.deletingLastPathComponent().path
        let name = url.lastPathComponent
        let fm = FileManager.default
        let files = ((try? fm.contentsOfDirectory(atPath: folder)) ?? []).sorted()
        for prefix in ["DIM_", "PHRDIMAP_"] {
            let xml = files.filter { $0.hasPrefix(prefix) && $0.uppercased().hasSuffix(".XML") }
            if xml.count == 1 { return folder + "/" + xml[0] }
            let matching = xml.filter { name.contains(String($0.dropFirst(prefix.count).dropLast(4))) }
            if matching.count == 1 { return folder + "/" + matching[0] }
        }
        let geom = url.deletingPathExtension().path + ".geom"
        if fm.fileExists(atPath: geom) { return geom }
        throw RadiometryError.metadataNotFound(image: image, searched: [folder + "/DIM_*.XML", folder + "/PHRDIMAP_*.XML", geom])
    }
}

// MARK: - Field helpers shared by the readers

extension RadiometricMetadata {
    static func number(_ text: String?, field: String, file: String) throws -> Double {
        guard let text, !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw RadiometryError.missingField(field: field, file: file)
        }
        guard let value = Double(text.trimmingCharacters(in: .whitespacesAndNewlines)), value.isFinite else {
            throw RadiometryError.invalidField(field: field, file: file, value: text, reason: "not a number")
        }
        return value
    }

    static func checked(_ bands: [BandCalibration], sunElevation: Double, date: String?, dateField: String,
                        file: String) throws -> RadiometricMetadata {
        for band in bands {
            guard band.gain > 0 else {
                throw RadiometryError.invalidField(field: "GAIN of band \(band.id)", file: file, value: "\(band.gain)", reason: "must be positive")
            }
            guard band.solarIrradiance > 0 else {
                throw RadiometryError.invalidField(field: "solar irradiance of band \(band.id)", file: file,
                                                   value: "\(band.solarIrradiance)", reason: "must be positive")
            }
        }
        guard sunElevation > 0, sunElevation <= 90 else {
            throw RadiometryError.invalidField(field: "SUN_ELEVATION", file: file, value: "\(sunElevation)",
                                               reason: "the Sun must be above the horizon (0 < elevation <= 90°)")
        }
        guard let date, !date.isEmpty else { throw RadiometryError.missingField(field: dateField, file: file) }
        guard let day = Photogrammetry.dayOfYear(isoDate: date) else {
            throw RadiometryError.invalidField(field: dateField, file: file, value: date, reason: "not a YYYY-MM-DD date")
        }
        return RadiometricMetadata(file: file, bands: bands, sunElevation: sunElevation, acquisitionDate: date, dayOfYear: day)
    }
}

extension XMLNode {
    /// Every element with this name below (depth first), self included.
    func findAll(_ name: String) -> [XMLNode] {
        var out: [XMLNode] = []
        func visit(_ node: XMLNode) {
            if node.name == name { out.append(node) }
            for c in node.children { visit(c) }
        }
        visit(self)
        return out
    }
}
