import Foundation

/// The STAC Item 1.0 (JSON) describing one PWH product, with the projection (`proj:*`) and,
/// when the metadata gives sun angles, view (`view:sun_*`) extensions.
public struct PWHStacItem: Sendable {
    public static let stacVersion = "1.0.0"
    public static let projectionExtension = "https://stac-extensions.github.io/projection/v1.1.0/schema.json"
    public static let viewExtension = "https://stac-extensions.github.io/view/v1.0.0/schema.json"
    public static let cogMediaType = "image/tiff; application=geotiff; profile=cloud-optimized"

    public var id: String
    /// Footprint ring, counter-clockwise (longitude, latitude), not closed (closed when written).
    public var footprint: [SIMD2<Double>]
    public var scene: PWHSceneInfo
    public var grid: OrthoGrid
    /// Href of the COG, relative to the Item (its file name: both sit in the output folder).
    public var dataHref: String
    /// Href of the metadata file the product was made from (absolute path).
    public var metadataHref: String
    /// Extra properties (`relief:*`), e.g. the height source.
    public var extra: [String: String] = [:]

    public init(id: String, footprint: [SIMD2<Double>], scene: PWHSceneInfo, grid: OrthoGrid, dataHref: String, metadataHref: String) {
        (self.id, self.footprint, self.scene, self.grid) = (id, footprint, scene, grid)
        (self.dataHref, self.metadataHref) = (dataHref, metadataHref)
    }

    /// The Item as a JSON object.
    public var json: [String: Any] {
        let ring = (footprint + footprint.prefix(1)).map { [$0.x, $0.y] }
        let lons = footprint.map(\.x), lats = footprint.map(\.y)
        var properties: [String: Any] = [
            "datetime": scene.datetime,
            "gsd": grid.resolution,
            "proj:epsg": grid.epsg,
            "proj:shape": [grid.height, grid.width],
            // Affine coefficients in rasterio's order (a, b, c, d, e, f): x = a·col + b·row + c.
            "proj:transform": [grid.resolution, 0, grid.originX, 0, -grid.resolution, grid.originY],
        ]
        var extensions = [Self.projectionExtension]
        if let p = scene.platform { properties["platform"] = p }
        if let i = scene.instrument { properties["instruments"] = [i] }
        if scene.sunElevation != nil || scene.sunAzimuth != nil { extensions.append(Self.viewExtension) }
        if let e = scene.sunElevation { properties["view:sun_elevation"] = e }
        if let a = scene.sunAzimuth { properties["view:sun_azimuth"] = a }
        for (k, v) in extra { properties[k] = v }
        let mediaType = metadataHref.lowercased().hasSuffix(".xml") ? "application/xml" : "text/plain"
        return [
            "type": "Feature",
            "stac_version": Self.stacVersion,
            "stac_extensions": extensions,
            "id": id,
            "geometry": ["type": "Polygon", "coordinates": [ring]],
            "bbox": [lons.min() ?? 0, lats.min() ?? 0, lons.max() ?? 0, lats.max() ?? 0],
            "properties": properties,
            "links": [] as [Any],
            "assets": [
                "data": ["href": dataHref, "type": Self.cogMediaType, "roles": ["data"],
                         "title": "TOA reflectance x 10,000, pan-sharpened, orthorectified (COG)"],
                "metadata": ["href": metadataHref, "type": mediaType, "roles": ["metadata"], "title": "source product metadata"],
            ],
        ]
    }

    /// Pretty-printed JSON with sorted keys.
    public func data() throws -> Data {
        try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    }
}
