import Foundation
import Photogrammetry
import Raster

/// Media type of the products (a Cloud Optimized GeoTIFF).
let cogMediaType = STACItem.cogMediaType

/// The STAC Item describing a job's products: the ROI footprint as geometry, the images'
/// acquisition times as datetime (a pair's two as `start_datetime` and `end_datetime`; the
/// job's end only when the images do not say, with `relief:datetime` = `processing`), the job's
/// end as `created`, one asset per output (role `data`, an URL of this server) and the
/// projection extension (EPSG code, shape and affine transform read from the first raster).
func stacItem(jobID: Int64, process: String, footprint: [[[Double]]], finished: Double, acquired: [Date],
              outputs: [(name: String, path: String)], base: String) -> STACItem {
    var p = STACItem.Properties(datetime: iso8601(finished))
    p.created = iso8601(finished)
    p.extra["relief:process"] = process
    let times = acquired.map(\.timeIntervalSince1970)
    if let first = times.first, let lo = times.min(), let hi = times.max() {
        p.datetime = iso8601(first)
        if hi > lo {
            p.startDatetime = iso8601(lo)
            p.endDatetime = iso8601(hi)
        }
    } else {
        p.extra["relief:datetime"] = "processing"
    }
    if let first = outputs.first, let d = try? Dataset(path: first.path) {
        p.projEPSG = d.spatialReference?.epsg
        p.projShape = [d.height, d.width]
        if let g = d.geoTransform {
            let c = g.coefficients
            p.projTransform = [c.1, c.2, c.0, c.4, c.5, c.3]
        }
    }
    var assets: [String: STACItem.Asset] = [:]
    for o in outputs {
        let key = (o.name as NSString).deletingPathExtension
        assets[key] = STACItem.Asset(href: "\(base)/jobs/\(jobID)/files/\(o.name)", type: cogMediaType, roles: ["data"],
                                     title: key == "dsm" ? "Digital surface model (heights above the WGS84 ellipsoid)" : key)
    }
    return STACItem(id: "relief-job-\(jobID)", ring: footprint.first ?? [], properties: p, assets: assets,
                    links: [STACItem.Link(rel: "self", href: "\(base)/jobs/\(jobID)/stac", type: "application/geo+json"),
                            STACItem.Link(rel: "via", href: "\(base)/jobs/\(jobID)", type: "application/json")],
                    extensions: [STACItem.projectionExtension])
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
