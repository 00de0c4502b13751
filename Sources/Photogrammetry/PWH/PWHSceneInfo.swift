import Foundation

/// Descriptive fields of an acquisition for the STAC Item, read from the PAN's metadata file
/// (DIMAP v2, Pléiades DIMAP v1.4 or OSSIM `.geom`). Every field is optional except the date,
/// which `RadiometricMetadata` already requires: what a file lacks is left out of the Item.
public struct PWHSceneInfo: Sendable, Equatable {
    /// STAC `platform`, lower case: "pleiades-1b", "spot-6", "pleiades-neo-3".
    public var platform: String?
    /// STAC `instruments` entry, lower case ("phr", "naomi").
    public var instrument: String?
    /// RFC 3339 acquisition time (UTC).
    public var datetime: String
    public var sunElevation: Double?
    public var sunAzimuth: Double?

    /// - Parameter radiometry: the metadata already read from `file` (date and sun elevation).
    public static func read(_ file: String, radiometry: RadiometricMetadata) -> PWHSceneInfo {
        var info = PWHSceneInfo(platform: nil, instrument: nil, datetime: rfc3339(radiometry.acquisitionDate, time: nil),
                                sunElevation: radiometry.sunElevation, sunAzimuth: nil)
        let root = XMLNode.parse(contentsOf: file)
        if root == nil, let text = try? String(contentsOfFile: file, encoding: .utf8) {   // OSSIM keyword list
            let pairs = RPCKeyValueReader.pairs(text)
            let value = { (key: String) in pairs["support_data." + key]?.trimmingCharacters(in: .whitespaces) }
            info.platform = platformName(mission: value("instrument"), index: value("instrument_index"))
            info.instrument = value("instrument")?.lowercased()
            let azimuths = (value("azimuth_angle") ?? "").replacingOccurrences(of: "\"", with: " ").split(separator: " ").compactMap { Double($0) }
            info.sunAzimuth = azimuths.isEmpty ? nil : azimuths[azimuths.count / 2]
        } else if let root {
            // DIMAP v2: Strip_Source; DIMAP v1.4: Scene_Source / Source_Information.
            let source = root.find("Strip_Source") ?? root.find("Scene_Source") ?? root.find("Source_Information")
            let text = { (name: String) -> String? in
                let t = source?.find(name)?.trimmedText
                return t?.isEmpty == false ? t : nil
            }
            info.platform = platformName(mission: text("MISSION"), index: text("MISSION_INDEX"))
            info.instrument = text("INSTRUMENT")?.lowercased()
            if let date = text("IMAGING_DATE"), let time = text("IMAGING_TIME") { info.datetime = rfc3339(date, time: time) }
            let centre = root.findAll("Located_Geometric_Values").first { $0.child("LOCATION_TYPE")?.trimmedText.lowercased() == "center" }
                ?? root.findAll("Located_Geometric_Header").dropFirst().first
            info.sunAzimuth = centre?.path("Solar_Incidences/SUN_AZIMUTH").flatMap { Double($0.trimmedText) }
        }
        return info
    }

    /// "PHR"/"PLEIADES" + "1B" -> "pleiades-1b"; "SPOT" + "6" -> "spot-6"; "PNEO" + "3" -> "pleiades-neo-3".
    static func platformName(mission: String?, index: String?) -> String? {
        guard let mission = mission?.uppercased(), !mission.isEmpty else { return nil }
        let name = switch mission {
        case "PHR", "PLEIADES": "pleiades"
        case "PNEO", "PLEIADES NEO", "PLEIADESNEO": "pleiades-neo"
        default: mission.lowercased().replacingOccurrences(of: " ", with: "-")
        }
        guard let index, !index.isEmpty else { return name }
        return name + "-" + index.lowercased()
    }

    /// An RFC 3339 date-time from the provider's fields (UTC): a date alone gets midnight, a time
    /// without a zone gets "Z".
    static func rfc3339(_ date: String, time: String?) -> String {
        var text = date.trimmingCharacters(in: .whitespaces)
        if !text.contains("T") { text += "T" + (time?.trimmingCharacters(in: .whitespaces) ?? "00:00:00") }
        let last = text.last.map(String.init) ?? ""
        if last != "Z", !text.dropFirst(10).contains("+"), !text.dropFirst(10).contains("-") { text += "Z" }
        return text
    }
}
