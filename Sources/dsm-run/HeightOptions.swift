import ArgumentParser
import Photogrammetry

/// Where terrain heights come from: a constant `--height` or a `--dem` (with `--geoid` when its
/// heights are above EGM96, as SRTM's). Shared by `dsm`, `ortho` and `pwh`; `dsm` adds
/// `--height-margin` (the range it searches around `--height`).
struct HeightOptions: ParsableArguments {
    @Option(help: "Terrain height, metres above the WGS84 ellipsoid.")
    var height: Double?

    @Option(help: "DEM or DSM giving the terrain heights (GDAL raster).")
    var dem: String?

    @Option(help: "EGM96 geoid grid (e.g. egm96_15.gtx) when the DEM's heights are above the geoid (SRTM).")
    var geoid: String?

    func validate() throws {
        try NumberChecks.height(height)
    }

    /// Refuses `--height` with `--dem`; with `required`, also neither.
    func checkOneSource(required: Bool) throws {
        if required {
            guard (dem == nil) != (height == nil) else { throw ValidationError("give exactly one of --dem DEM and --height H" + Self.heightHint) }
        } else {
            guard height == nil || dem == nil else { throw ValidationError("give at most one of --height H and --dem DEM") }
        }
    }

    /// Refuses `--geoid` without `--dem` (for commands where the geoid only converts the DEM).
    func checkGeoidWithDEM() throws {
        if geoid != nil, dem == nil { throw ValidationError("--geoid goes with --dem") }
    }

    /// The geoid grid, read.
    func geoidGrid() throws -> Geoid? { try geoid.map { try Geoid(path: $0) } }

    static let heightHint = " (a constant terrain height, metres above the WGS84 ellipsoid)"
}
