import Foundation
import Raster

/// Where an orthorectification takes the height of each output pixel from.
public enum OrthoHeightSource: Sendable {
    /// One height in metres above the WGS84 ellipsoid everywhere (flat terrain, quick looks).
    case constant(Double)
    /// A DEM or DSM file GDAL reads (SRTM `.hgt`, GeoTIFF in degrees or UTM), sampled bilinearly;
    /// `geoid` when its heights are above that geoid (SRTM: EGM96), nil when ellipsoidal.
    case dem(path: String, geoid: Geoid?)
    /// Heights in memory, e.g. the DSM the pipeline just made (ortho texture on the DSM grid).
    case grid(HeightGrid)
}

/// A height source ready for sampling (DEM files read into memory over the area needed).
enum ResolvedHeights: Sendable {
    case constant(Double)
    case grid(HeightGrid)
}
