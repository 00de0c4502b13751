import Foundation
import Raster

/// Media type of the products (a Cloud Optimized GeoTIFF).
let cogMediaType = "image/tiff; application=geotiff; profile=cloud-optimized"

/// A STAC Item 1.0 describing a job's products: the ROI footprint as geometry, the images'
/// acquisition times as datetime (a pair's two as `start_datetime` and `end_datetime`; the
/// job's end only when the images do not say, with `relief:datetime` = `processing`), the job's
/// end as `created`, one asset per output (role `data`, an URL of this server) and the
/// projection extension (EPSG code, shape and affine transform read from the first raster).
func stacItem(jobID: Int64, process: String, footprint: [[[Double]]], finished: Double, acquired: [Date],
              outputs: [(name: String, path: String)], base: String) -> [String: Any] {
    let ring = footprint.first ?? []
    let lons = ring.map { $0[0] }, lats = ring.map { $0[1] }
    var properties: [String: Any] = ["created": iso8601(finished), "relief:process": process]
    let times = acquired.map(\.timeIntervalSince1970)
    if let first = times.first, let lo = times.min(), let hi = times.max() {
        properties["datetime"] = iso8601(first)
        if hi > lo {
            properties["start_datetime"] = iso8601(lo)
            properties["end_datetime"] = iso8601(hi)
        }
    } else {
        properties["datetime"] = iso8601(finished)
        properties["relief:datetime"] = "processing"
    }
    let extensions = ["https://stac-extensions.github.io/projection/v1.1.0/schema.json"]
    if let first = outputs.first, let d = try? Dataset(path: first.path) {
        properties["proj:epsg"] = d.spatialReference?.epsg ?? NSNull()
        properties["proj:shape"] = [d.height, d.width]
        if let g = d.geoTransform {
            let c = g.coefficients
            properties["proj:transform"] = [c.1, c.2, c.0, c.4, c.5, c.3]
        }
    }
    var assets: [String: Any] = [:]
    for o in outputs {
        let key = (o.name as NSString).deletingPathExtension
        assets[key] = ["href": "\(base)/jobs/\(jobID)/files/\(o.name)", "type": cogMediaType,
                       "roles": ["data"], "title": key == "dsm" ? "Digital surface model (heights above the WGS84 ellipsoid)" : key]
    }
    return [
        "type": "Feature", "stac_version": "1.0.0", "stac_extensions": extensions,
        "id": "relief-job-\(jobID)",
        "geometry": ["type": "Polygon", "coordinates": footprint],
        "bbox": [lons.min() ?? 0, lats.min() ?? 0, lons.max() ?? 0, lats.max() ?? 0],
        "properties": properties,
        "assets": assets,
        "links": [["rel": "self", "href": "\(base)/jobs/\(jobID)/stac", "type": "application/geo+json"],
                  ["rel": "via", "href": "\(base)/jobs/\(jobID)", "type": "application/json"]],
    ]
}

/// A STAC Item written by a recipe, as served: assets whose `href` is a path of this machine
/// (`/srv/...`, `file://...`: the source product's metadata) are left out, since a client can
/// neither read nor resolve them; relative hrefs (`./ID.tif`, beside the item under
/// `/jobs/ID/files/`) and URLs stay. Text that is not a JSON object is returned as it is.
func withoutLocalHrefs(_ data: Data) -> Data {
    guard var item = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { return data }
    func isLocal(_ href: String) -> Bool { href.hasPrefix("/") || href.hasPrefix("file:") }
    if let assets = item["assets"] as? [String: Any] {
        item["assets"] = assets.filter { _, v in !isLocal(((v as? [String: Any])?["href"] as? String) ?? "") }
    }
    if let links = item["links"] as? [[String: Any]] {
        item["links"] = links.filter { !isLocal(($0["href"] as? String) ?? "") }
    }
    return (try? JSONSerialization.data(withJSONObject: item, options: [.sortedKeys, .withoutEscapingSlashes])) ?? data
}
