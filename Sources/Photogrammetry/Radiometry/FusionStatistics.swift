import Foundation
import Raster

/// Pan-sharpening methods.
public enum PansharpenMethod: String, Sendable, CaseIterable {
    /// Brovey transform: MS_k · P' / I with I the mean of the MS bands and P' the PAN matched
    /// to I in mean and standard deviation. The plain baseline.
    case brovey
    /// Gram-Schmidt adaptive (Aiazzi, Baronti, Selva, "Improving component substitution
    /// pansharpening through multivariate regression of MS+Pan data", IEEE TGRS 45(10), 2007):
    /// I = Σ w_k MS_k + w_0 with w the least-squares fit of the low-passed PAN on the MS bands,
    /// P' = PAN matched to I, and MS_k + g_k (P' - I) with g_k = cov(MS_k, I) / var(I).
    case gsa
}

/// Global parameters of a fusion: accumulated over tiles (sufficient statistics, so memory does
/// not grow with the image), then turned into weights and gains by `parameters(for:)`.
public struct FusionStatistics: Sendable {
    public let bands: Int
    /// Σ x xᵀ over the samples, x = (MS_1 ... MS_n, 1); row-major (n+1)².
    var xx: [Double]
    /// Σ x · PAN_low.
    var xp: [Double]
    var sumLow = 0.0, sumLow2 = 0.0
    public private(set) var count = 0

    public init(bands: Int) {
        self.bands = bands
        xx = [Double](repeating: 0, count: (bands + 1) * (bands + 1))
        xp = [Double](repeating: 0, count: bands + 1)
    }

    /// Adds the pixels of a tile on a `stride` x `stride` lattice (stride = the resolution ratio
    /// gives as many samples as MS pixels). `pan` is the full-resolution PAN, `panLow` the PAN
    /// low-passed to the MS resolution, `ms` the MS upsampled to the PAN grid, all of one size.
    /// Pixels where the PAN is `panNodata` or a value is not finite are skipped.
    /// - Complexity: O(width · height · bands² / stride²).
    public mutating func accumulate(panLow: ImageBuffer<Float>, pan: ImageBuffer<Float>, ms: ImageBuffer<Float>,
                                    region: Window? = nil, stride: Int, panNodata: Float? = nil) {
        precondition(ms.bandCount == bands && pan.width == ms.width && pan.height == ms.height
                     && panLow.width == pan.width && panLow.height == pan.height, "FusionStatistics: size mismatch")
        let r = region ?? Window(width: pan.width, height: pan.height)
        let n = bands + 1
        var x = [Double](repeating: 1, count: n)
        var y = r.y
        while y < r.maxY {
            var i = r.x
            while i < r.maxX {
                defer { i += stride }
                let p = pan[i, y]
                if p == panNodata { continue }
                let low = Double(panLow[i, y])
                var finite = low.isFinite
                for b in 0..<bands { x[b] = Double(ms[i, y, b]); finite = finite && x[b].isFinite }
                if !finite { continue }
                for a in 0..<n {
                    for c in a..<n { xx[a * n + c] += x[a] * x[c] }
                    xp[a] += x[a] * low
                }
                sumLow += low; sumLow2 += low * low
                count += 1
            }
            y += stride
        }
    }

    /// Merges the statistics of another part of the image.
    public mutating func merge(_ other: FusionStatistics) {
        for k in xx.indices { xx[k] += other.xx[k] }
        for k in xp.indices { xp[k] += other.xp[k] }
        sumLow += other.sumLow; sumLow2 += other.sumLow2; count += other.count
    }

    /// The weights and gains of `method` from the accumulated samples.
    public func parameters(for method: PansharpenMethod) throws -> FusionParameters {
        let n = bands + 1
        guard count > n * 4 else {
            throw RadiometryError.incompatibleImages(pan: "PAN", ms: "MS", reason: "only \(count) valid sample(s) to estimate the fusion")
        }
        let N = Double(count)
        var full = [Double](repeating: 0, count: n * n)   // symmetric copy of Σ x xᵀ
        for a in 0..<n { for c in a..<n { full[a * n + c] = xx[a * n + c]; full[c * n + a] = xx[a * n + c] } }
        let mean = (0..<bands).map { full[$0 * n + bands] / N }
        var cov = [Double](repeating: 0, count: bands * bands)
        for a in 0..<bands { for c in 0..<bands { cov[a * bands + c] = full[a * n + c] / N - mean[a] * mean[c] } }
        var weights: [Double], offset: Double
        switch method {
        case .brovey:
            weights = [Double](repeating: 1 / Double(bands), count: bands); offset = 0
        case .gsa:
            var a = [Double](repeating: 0, count: n * n)   // normal equations, solved as a square least-squares system
            for r in 0..<n { for c in 0..<n { a[r + c * n] = full[r * n + c] } }
            var b = xp
            guard let w = solveLeastSquares(&a, &b, rows: n, columns: n) else {
                throw RadiometryError.incompatibleImages(pan: "PAN", ms: "MS", reason: "the MS bands are collinear: no GSA weights")
            }
            weights = Array(w[..<bands]); offset = w[bands]
        }
        let cw = (0..<bands).map { a in (0..<bands).reduce(0.0) { $0 + cov[a * bands + $1] * weights[$1] } }
        let varI = zip(weights, cw).reduce(0.0) { $0 + $1.0 * $1.1 }
        let meanI = zip(weights, mean).reduce(offset) { $0 + $1.0 * $1.1 }
        let meanLow = sumLow / N, varLow = max(sumLow2 / N - meanLow * meanLow, 0)
        guard varI > 0, varLow > 0 else {
            throw RadiometryError.incompatibleImages(pan: "PAN", ms: "MS", reason: "flat images: no intensity variance")
        }
        let gains = method == .gsa ? cw.map { $0 / varI } : [Double](repeating: 1, count: bands)
        return FusionParameters(method: method, weights: weights, offset: offset, gains: gains,
                                panMean: meanLow, panScale: (varI / varLow).squareRoot(), intensityMean: meanI)
    }
}

/// What a fusion kernel needs: intensity I = Σ w_k MS_k + offset, PAN matched to I as
/// P' = (P - panMean) · panScale + intensityMean, injection gains.
public struct FusionParameters: Sendable, Equatable {
    public var method: PansharpenMethod
    public var weights: [Double]
    public var offset: Double
    public var gains: [Double]
    public var panMean: Double
    public var panScale: Double
    public var intensityMean: Double
}
