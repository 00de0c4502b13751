import Foundation
import Raster

/// The radiometric part of the Pléiades World Heritage recipe (issue 6, item 4), in sensor
/// geometry: DN -> top-of-atmosphere reflectance of the PAN and of the MS, then pan-sharpening in
/// reflectance, written as one 4-band UInt16 x 10,000 COG on the PAN grid that keeps the PAN's
/// RPC (embedded) or crop geotransform, ready for orthorectification.
///
/// Steps, each a function of one tile (composed over PAN tiles by `pansharpenFiles`, two passes):
/// 1. `reflectanceInPlace` on the PAN tile (plus its low-pass halo) and on the MS window under it;
/// 2. `upsampleBicubic` of the MS window onto the PAN tile through the PAN/MS relation;
/// 3. pass 1 only: `FusionStatistics.accumulate` (low-passed PAN vs upsampled MS), merged over the
///    tiles into `FusionParameters` (GSA weights and gains);
/// 4. pass 2: `fuse`, scaled by 10,000 and written.
/// The ortho step then takes this product and the PAN's model (`RPCModel.load(image: pan, model:)`)
/// and resamples all bands onto the map grid; reflectance being linear in DN, resampling after
/// the conversion changes nothing but the order.
public enum PWHRadiometry {
    /// Runs steps 1-4 on files. `panMetadata` / `msMetadata`: DIMAP or `.geom` files (nil: found
    /// next to each image, `RadiometricMetadata.find`); `panModel` / `msModel` and `ratio` as in
    /// `PansharpenConfiguration`.
    public static func run(
        pan: String, ms: String, output: String, panMetadata: String? = nil, msMetadata: String? = nil,
        panModel: String? = nil, msModel: String? = nil, ratio: Int? = nil, register: Bool = false,
        method: PansharpenMethod = .gsa, tileSize: Int = 512
    ) throws -> PansharpenSummary {
        var c = PansharpenConfiguration(pan: pan, ms: ms, output: output)
        c.panRadiometry = try RadiometricMetadata.load(contentsOf: try panMetadata ?? RadiometricMetadata.find(forImage: pan))
        c.msRadiometry = try RadiometricMetadata.load(contentsOf: try msMetadata ?? RadiometricMetadata.find(forImage: ms))
        c.panModel = panModel
        c.msModel = msModel
        c.ratio = ratio
        c.register = register
        c.method = method
        c.tileSize = tileSize
        return try pansharpenFiles(c)
    }
}
