import Foundation
import Raster

/// Where an orthorectification takes the height of each output pixel from.
public enum OrthoHeightSource: Sendable {
    /// One height in metres above the WGS84 ellipsoid everywhere (flat terrain, quick looks).
    case constant(Double)
    /// A DEM or DSM file GDAL reads (SRTM `.hgt`, GeoTIFF in degrees or UTM), sampled bilinearly;
    /// `geoid` when its heights are above that geoid (SRTM: EGM96), nil when ellipsoidal.
    case dem(path: String, geoid: Geoid?)
    /// Heights in memory.
    case grid(HeightGrid)
    /// A height raster read window by window, each output tile reading only the samples it
    /// needs (memory bounded by the tile size): e.g. the DSM the pipeline just made (ortho texture
    /// on the DSM grid). Outside the raster and where it has no data, the output has none.
    /// `geoid` as for `dem`.
    case raster(path: String, geoid: Geoid?)
}

/// A height source ready for sampling (rasters checked, read tile by tile when sampled).
enum ResolvedHeights: Sendable {
    case constant(Double)
    case grid(HeightGrid)
    case raster(HeightRaster)
}
