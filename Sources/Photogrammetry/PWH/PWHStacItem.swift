import Foundation

/// The STAC Item describing one PWH product (a `STACItem`), with the projection (`proj:*`)
/// and, when the metadata gives sun angles, view (`view:sun_*`) extensions.
public struct PWHStacItem: Sendable {
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

    /// The Item.
    public var item: STACItem {
        var p = STACItem.Properties(datetime: scene.datetime)
        p.gsd = grid.resolution
        p.projEPSG = grid.epsg
        p.projShape = [grid.height, grid.width]
        p.projTransform = [grid.resolution, 0, grid.originX, 0, -grid.resolution, grid.originY]
        p.platform = scene.platform
        p.instruments = scene.instrument.map { [$0] }
        p.viewSunElevation = scene.sunElevation
        p.viewSunAzimuth = scene.sunAzimuth
        p.extra = extra
        var extensions = [STACItem.projectionExtension]
        if scene.sunElevation != nil || scene.sunAzimuth != nil { extensions.append(STACItem.viewExtension) }
        let metadataType = metadataHref.lowercased().hasSuffix(".xml") ? "application/xml" : "text/plain"
        return STACItem(id: id, ring: footprint.map { [$0.x, $0.y] }, properties: p, assets: [
            "data": .init(href: dataHref, type: STACItem.cogMediaType, roles: ["data"],
                          title: "TOA reflectance x 10,000, pan-sharpened, orthorectified (COG)"),
            "metadata": .init(href: metadataHref, type: metadataType, roles: ["metadata"], title: "source product metadata"),
        ], extensions: extensions)
    }

    /// Pretty-printed JSON with sorted keys.
    public func data() throws -> Data { try item.encoded(pretty: true) }
}
