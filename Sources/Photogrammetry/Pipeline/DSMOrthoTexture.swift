import Foundation
import Raster

extension DSMPipeline {
    /// Orthorectifies the reference image on the DSM just written: same grid (origin, resolution,
    /// size, EPSG), heights read back from the DSM file tile by tile (converted back to the
    /// ellipsoid with the geoid when the DSM holds geoid heights), bicubic resampling of every
    /// band, COG with mask. Cells without a height (large holes) are no data in the texture.
    ///
    /// - Throws: `DSMError.missingCRS` for a grid without EPSG, `OrthoError` / `RasterError`.
    /// - Complexity: O(grid cells) time; memory one output tile and its window of DSM heights per
    ///   worker (`OrthoHeightSource.raster`), whatever the DSM's size.
    static func writeOrthoTexture(reference: StereoImage, dsm path: String, grid: DSMGrid, datum: VerticalDatum,
                                  to output: String) throws {
        guard let epsg = grid.epsg else { throw DSMError.missingCRS(source: path) }
        var geoid: Geoid?
        if case .geoid(let g) = datum { geoid = g }
        let orthoGrid = try OrthoGrid(epsg: epsg, originX: grid.originX, originY: grid.originY,
                                      resolution: grid.resolution, width: grid.width, height: grid.height)
        let ortho = try Orthorectifier(image: reference.path, model: reference.model,
                                       heights: .raster(path: path, geoid: geoid), grid: orthoGrid)
        _ = try ortho.write(to: output)
    }
}
