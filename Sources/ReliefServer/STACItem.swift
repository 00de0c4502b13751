import Foundation
import Raster

/// Media type of the products (a Cloud Optimized GeoTIFF).
let cogMediaType = "image/tiff; application=geotiff; profile=cloud-optimized"

/// A STAC Item 1.0 describing a job's products: the ROI footprint as geometry, the job's end as
/// datetime, one asset per output (role `data`) and the projection extension (EPSG code, shape
/// and affine transform read from the first raster).
func stacItem(jobID: Int64, process: String, footprint: [[[Double]]], finished: Double,
              outputs: [(name: String, path: String)], base: String) -> [String: Any] {
    let ring = footprint.first ?? []
    let lons = ring.map { $0[0] }, lats = ring.map { $0[1] }
    var properties: [String: Any] = ["datetime": iso8601(finished), "relief:process": process]
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
