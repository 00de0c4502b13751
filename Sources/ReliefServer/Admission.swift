import Foundation
import Photogrammetry

/// Limits a DSM request must fit beyond its entity's quota (an area): what the request would
/// cost a worker. Each refusal gives the request's numbers and the limit.
public struct AdmissionLimits: Sendable, Equatable {
    /// Finest resolution as a fraction of the sensor's ground sample distance (GSD): cells
    /// finer than half a pixel on the ground add no detail, only cells to fill.
    public var finestResolutionOfGSD = 0.5
    /// Largest `heightMargin`, metres.
    public var maxHeightMargin = 1000.0
    /// Longest disparity search along the secondary image, pixels: the matcher's memory and
    /// time grow with it (the search over the height range `height ± heightMargin`).
    public var maxDisparityPixels = 1024.0
    /// Largest DSM, cells (ground area / resolution²).
    public var maxOutputCells = 400_000_000

    public init() {}
}

/// What a DSM request would cost, estimated at submission from the images' RPC models.
struct DSMCost: Sendable, Equatable {
    /// Ground sample distance of the reference image over the ROI, metres (the footprint's
    /// area over its pixels).
    var gsd: Double
    var outputCells: Double
    /// Length of the search between `height - margin` and `height + margin` in the secondary
    /// image at the ROI's centre, pixels; nil when the models cannot tell (no convergence).
    var disparityPixels: Double?

    /// - Parameters: `areaKm2`: the ROI's footprint; `window`: the ROI, reference pixels.
    static func estimate(reference: RPCModel, secondary: RPCModel, window: (x: Int, y: Int, width: Int, height: Int),
                         areaKm2: Double, height: Double?, margin: Double?, resolution: Double) -> DSMCost {
        let area = areaKm2 * 1e6
        let pixels = Double(window.width) * Double(window.height)
        let gsd = (area / max(1, pixels)).squareRoot()
        var disparity: Double?
        if let height, let margin, margin > 0 {
            let cx = Double(window.x) + Double(window.width) / 2, cy = Double(window.y) + Double(window.height) / 2
            if let low = try? reference.localization(column: cx, row: cy, height: height - margin),
               let high = try? reference.localization(column: cx, row: cy, height: height + margin) {
                let a = secondary.projection(longitude: low.longitude, latitude: low.latitude, height: height - margin)
                let b = secondary.projection(longitude: high.longitude, latitude: high.latitude, height: height + margin)
                let d = ((a.column - b.column) * (a.column - b.column) + (a.row - b.row) * (a.row - b.row)).squareRoot()
                if d.isFinite { disparity = d }
            }
        }
        return DSMCost(gsd: gsd, outputCells: area / (resolution * resolution), disparityPixels: disparity)
    }

    /// Throws the first limit the request exceeds, with its numbers.
    func check(_ limits: AdmissionLimits, resolution: Double, margin: Double?) throws {
        func m(_ v: Double) -> String { String(format: "%.2f", v) }
        let finest = limits.finestResolutionOfGSD * gsd
        guard resolution >= finest else {
            throw APIError.costExceeded("resolution \(m(resolution)) m is finer than \(limits.finestResolutionOfGSD) x the images' ground sample "
                                        + "(\(m(gsd)) m): use \(m(finest)) m or coarser")
        }
        if let margin, margin > limits.maxHeightMargin {
            throw APIError.costExceeded("heightMargin \(m(margin)) m is above this server's limit of \(m(limits.maxHeightMargin)) m")
        }
        if let d = disparityPixels, let margin, d > limits.maxDisparityPixels {
            let most = margin * limits.maxDisparityPixels / d
            throw APIError.costExceeded("heightMargin \(m(margin)) m makes a search of \(Int(d.rounded())) pixels on this pair, above the limit of "
                                        + "\(Int(limits.maxDisparityPixels)) (at most about \(Int(most)) m here)")
        }
        guard outputCells <= Double(limits.maxOutputCells) else {
            let coarsest = (outputCells / Double(limits.maxOutputCells)).squareRoot() * resolution
            throw APIError.costExceeded("the DSM would have \(Int(outputCells)) cells, above the limit of \(limits.maxOutputCells): "
                                        + "use a resolution of \(m(coarsest)) m or coarser, or a smaller ROI")
        }
    }
}
