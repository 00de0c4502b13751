import Foundation

extension DSMPipeline {
    /// The DSM's default-domain metadata about its geometry: where the heights searched come
    /// from (`HEIGHT_RANGE_SOURCE`) and the translation added to each view's RPC projections
    /// (`POINTING_CORRECTION_k`, k = 0 for the reference: "column row" in pixels, the image,
    /// and for a secondary its relative correction's matches and spread), so that a product
    /// says how it was made.
    static func outputMetadata(sparse: SparseAnalysis?, heightSource: String, reference: String) -> [String: String] {
        var out = ["HEIGHT_RANGE_SOURCE": heightSource]
        guard let sparse else {
            out["POINTING_CORRECTION"] = "none (sparse analysis off): per-tile row offsets only"
            return out
        }
        func name(_ path: String) -> String { URL(fileURLWithPath: path).lastPathComponent }
        let t = sparse.applied
        out["POINTING_CORRECTION_0"] = String(format: "%.3f %.3f px (%@, reference)", t[0].x, t[0].y, name(reference))
        for (k, c) in sparse.corrections.enumerated() {
            out["POINTING_CORRECTION_\(k + 1)"] = c.map {
                String(format: "%.3f %.3f px (%@; relative %.3f %.3f px from %d matches, spread %.2f px)", t[k + 1].x, t[k + 1].y,
                       name($0.image), $0.column, $0.row, $0.matches, $0.spread)
            } ?? "none (too few sparse matches)"
        }
        return out
    }
}
