import Foundation

/// The processes this server offers (`dsm`, `pwh`) as OGC API - Processes descriptions: inputs
/// and outputs with JSON Schemas.
enum ProcessDescriptions {
    static let ids = ["dsm", "pwh"]
    static let version = "1.0.0"

    static var dsmInputs: [String: Any] { [
        "pair": input("Stereo pair", "Identifier of a catalogue stereo pair (a product holding two images with their RPCs; reference first in name order). Never a file path.",
                      ["type": "string", "pattern": "^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$"]),
        "height": input("Terrain height", "Optional. Mean terrain height in metres above the WGS84 ellipsoid (not the geoid): narrows the search and is checked against the images. Absent: the heights are measured from the images (sparse matches), and the relative pointing of the views corrected either way.",
                        ["type": "number", "minimum": -600, "maximum": 9000], min: 0),
        "heightMargin": input("Height margin", "Search range around the height, metres (only with height; the server's limit, 1000 m by default, may be lower than the schema's maximum).",
                              ["type": "number", "minimum": 0, "maximum": 5000, "default": 100], min: 0),
        "roi": input("Region of interest", "[column, row, width, height] in pixels of the reference image; absent: the whole image.",
                     ["type": "array", "items": ["type": "integer", "minimum": 0], "minItems": 4, "maxItems": 4], min: 0),
        "resolution": input("Resolution", "DSM cell size in metres.",
                            ["type": "number", "minimum": 0.01, "maximum": 100, "default": 0.5], min: 0),
        "tile": input("Tile size", "Tile side in pixels.", ["type": "integer", "minimum": 16, "maximum": 5000], min: 0),
    ] }
    static var pwhInputs: [String: Any] { [
        "product": input("Pléiades product", "Identifier of a catalogue Pléiades / SPOT primary product (a folder holding its PAN and MS DIMAP files and images). Never a file path.",
                         ["type": "string", "pattern": "^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$"]),
        "products": input("Products", "Products wanted.",
                          ["type": "array", "items": ["type": "string", "enum": ["ortho", "stac"]], "minItems": 1,
                           "default": ["ortho", "stac"]], min: 0),
    ] }
    static var cogSchema: [String: Any] { ["type": "string", "contentMediaType": "image/tiff; application=geotiff; profile=cloud-optimized"] }

    static func input(_ title: String, _ description: String, _ schema: [String: Any], min: Int = 1) -> [String: Any] {
        ["title": title, "description": description, "schema": schema, "minOccurs": min, "maxOccurs": 1]
    }

    static func summary(_ id: String, base: String) -> [String: Any] {
        let (title, description): (String, String) = id == "dsm"
            ? ("Digital surface model", "DSM of a stereo pair (census + SGM matching, triangulation, median rasterisation) as a Float32 COG in UTM, heights above the ellipsoid.")
            : ("Pléiades World Heritage product", "Top-of-atmosphere reflectance, pan-sharpened (GSA) and orthorectified: a 4-band UInt16 (reflectance x 10,000) COG in UTM with its STAC Item.")
        return ["id": id, "title": title, "description": description, "version": version,
                "jobControlOptions": ["async-execute", "dismiss"], "outputTransmission": ["reference"],
                "links": [["href": "\(base)/processes/\(id)", "rel": "self", "type": "application/json", "title": "process description"],
                          ["href": "\(base)/processes/\(id)/execution", "rel": "http://www.opengis.net/def/rel/ogc/1.0/execute",
                           "type": "application/json", "title": "execute"]]]
    }

    static func description(_ id: String, base: String) -> [String: Any] {
        var d = summary(id, base: base)
        d["inputs"] = id == "dsm" ? dsmInputs : pwhInputs
        d["outputs"] = id == "dsm"
            ? ["dsm": ["title": "DSM", "schema": cogSchema] as [String: Any]]
            : ["ortho": ["title": "Pan-sharpened reflectance orthoimage", "schema": cogSchema] as [String: Any],
               "stac": ["title": "STAC Item of the orthoimage", "schema": ["type": "string", "contentMediaType": "application/geo+json"]]]
        return d
    }
}
