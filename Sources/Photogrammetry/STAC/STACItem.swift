import Foundation

/// A STAC Item 1.0 (a GeoJSON Feature): what the PWH recipe writes beside its COG and what the
/// HTTP front serves for a DSM job, one Codable type for both. Properties are typed (core, `proj:*`
/// of the projection extension, `view:*` of the view extension) plus `extra` string properties
/// (`relief:*`); what is nil is left out of the JSON.
public struct STACItem: Codable, Sendable, Equatable {
    public static let version = "1.0.0"
    public static let projectionExtension = "https://stac-extensions.github.io/projection/v1.1.0/schema.json"
    public static let viewExtension = "https://stac-extensions.github.io/view/v1.0.0/schema.json"
    /// Media type of a Cloud Optimized GeoTIFF asset.
    public static let cogMediaType = "image/tiff; application=geotiff; profile=cloud-optimized"

    public var type = "Feature"
    public var stacVersion = STACItem.version
    public var stacExtensions: [String]
    public var id: String
    public var geometry: Polygon
    public var bbox: [Double]
    public var properties: Properties
    public var assets: [String: Asset]
    public var links: [Link]

    /// A GeoJSON Polygon: rings of [longitude, latitude], each closed (first = last).
    public struct Polygon: Codable, Sendable, Equatable {
        public var type = "Polygon"
        public var coordinates: [[[Double]]]
        public init(coordinates: [[[Double]]]) { self.coordinates = coordinates }
    }

    public struct Asset: Codable, Sendable, Equatable {
        public var href: String
        public var type: String?
        public var roles: [String]?
        public var title: String?
        public init(href: String, type: String?, roles: [String]?, title: String?) {
            (self.href, self.type, self.roles, self.title) = (href, type, roles, title)
        }
    }

    public struct Link: Codable, Sendable, Equatable {
        public var rel: String
        public var href: String
        public var type: String?
        public init(rel: String, href: String, type: String?) { (self.rel, self.href, self.type) = (rel, href, type) }
    }

    public struct Properties: Sendable, Equatable {
        /// RFC 3339 (UTC): the acquisition time.
        public var datetime: String
        public var startDatetime: String?
        public var endDatetime: String?
        /// When the product was made.
        public var created: String?
        public var gsd: Double?
        public var platform: String?
        public var instruments: [String]?
        public var projEPSG: Int?
        /// [rows, columns].
        public var projShape: [Int]?
        /// Affine coefficients in rasterio's order (a, b, c, d, e, f): x = a·col + b·row + c.
        public var projTransform: [Double]?
        public var viewSunElevation: Double?
        public var viewSunAzimuth: Double?
        /// Other properties, all strings (`relief:process`, `relief:height_source`, ...).
        public var extra: [String: String] = [:]

        public init(datetime: String) { self.datetime = datetime }
    }

    enum CodingKeys: String, CodingKey {
        case type, id, geometry, bbox, properties, assets, links
        case stacVersion = "stac_version", stacExtensions = "stac_extensions"
    }

    public init(id: String, ring: [[Double]], properties: Properties, assets: [String: Asset], links: [Link] = [], extensions: [String]) {
        let closed = ring.first.map { ring.last == $0 ? ring : ring + [$0] } ?? []
        self.id = id
        self.geometry = Polygon(coordinates: [closed])
        let lons = ring.map { $0[0] }, lats = ring.map { $0[1] }
        self.bbox = [lons.min() ?? 0, lats.min() ?? 0, lons.max() ?? 0, lats.max() ?? 0]
        (self.properties, self.assets, self.links, self.stacExtensions) = (properties, assets, links, extensions)
    }

    /// JSON with sorted keys and unescaped slashes (`pretty`: indented, as written to files).
    public func encoded(pretty: Bool = false) throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return try e.encode(self)
    }
}

extension STACItem.Properties: Codable {
    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ s: String) { stringValue = s }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    static let typedKeys: Set<String> = ["datetime", "start_datetime", "end_datetime", "created", "gsd", "platform", "instruments",
                                         "proj:epsg", "proj:shape", "proj:transform", "view:sun_elevation", "view:sun_azimuth"]

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(datetime, forKey: Key("datetime"))
        try c.encodeIfPresent(startDatetime, forKey: Key("start_datetime"))
        try c.encodeIfPresent(endDatetime, forKey: Key("end_datetime"))
        try c.encodeIfPresent(created, forKey: Key("created"))
        try c.encodeIfPresent(gsd, forKey: Key("gsd"))
        try c.encodeIfPresent(platform, forKey: Key("platform"))
        try c.encodeIfPresent(instruments, forKey: Key("instruments"))
        try c.encodeIfPresent(projEPSG, forKey: Key("proj:epsg"))
        try c.encodeIfPresent(projShape, forKey: Key("proj:shape"))
        try c.encodeIfPresent(projTransform, forKey: Key("proj:transform"))
        try c.encodeIfPresent(viewSunElevation, forKey: Key("view:sun_elevation"))
        try c.encodeIfPresent(viewSunAzimuth, forKey: Key("view:sun_azimuth"))
        for (k, v) in extra where !Self.typedKeys.contains(k) { try c.encode(v, forKey: Key(k)) }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        datetime = try c.decode(String.self, forKey: Key("datetime"))
        startDatetime = try c.decodeIfPresent(String.self, forKey: Key("start_datetime"))
        endDatetime = try c.decodeIfPresent(String.self, forKey: Key("end_datetime"))
        created = try c.decodeIfPresent(String.self, forKey: Key("created"))
        gsd = try c.decodeIfPresent(Double.self, forKey: Key("gsd"))
        platform = try c.decodeIfPresent(String.self, forKey: Key("platform"))
        instruments = try c.decodeIfPresent([String].self, forKey: Key("instruments"))
        projEPSG = try c.decodeIfPresent(Int.self, forKey: Key("proj:epsg"))
        projShape = try c.decodeIfPresent([Int].self, forKey: Key("proj:shape"))
        projTransform = try c.decodeIfPresent([Double].self, forKey: Key("proj:transform"))
        viewSunElevation = try c.decodeIfPresent(Double.self, forKey: Key("view:sun_elevation"))
        viewSunAzimuth = try c.decodeIfPresent(Double.self, forKey: Key("view:sun_azimuth"))
        for key in c.allKeys where !Self.typedKeys.contains(key.stringValue) {
            if let s = try? c.decode(String.self, forKey: key) { extra[key.stringValue] = s }
        }
    }
}
