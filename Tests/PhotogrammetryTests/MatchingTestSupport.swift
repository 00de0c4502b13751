@testable import Photogrammetry
import Raster

/// A random image with values 0..<levels (few levels make ties, which the kernels must agree
/// on) and a share of NaN (nodata) pixels.
func randomImage(width: Int, height: Int, levels: Int = 16, nanShare: Double = 0.05, rng: inout SplitMix64) -> ImageBuffer<Float> {
    var image = ImageBuffer<Float>(width: width, height: height)
    for i in image.storage.indices {
        image.storage[i] = Double.random(in: 0..<1, using: &rng) < nanShare ? .nan : Float(Int.random(in: 0..<levels, using: &rng))
    }
    return image
}

/// A textured image (smoothed noise, 0..255) for matching tests, and a copy shifted so that
/// left (x, y) = right (x - disparity, y); columns with no source get NaN.
func shiftedPair(width: Int, height: Int, disparity: Int, seed: UInt64) -> (ImageBuffer<Float>, ImageBuffer<Float>) {
    var rng = SplitMix64(seed: seed)
    var noise = [Float](repeating: 0, count: width * height)
    for i in noise.indices { noise[i] = Float.random(in: 0..<255, using: &rng) }
    var left = ImageBuffer<Float>(width: width, height: height)
    for y in 0..<height {
        for x in 0..<width {
            var s: Float = 0, n: Float = 0
            for dy in -1...1 { for dx in -1...1 where x + dx >= 0 && x + dx < width && y + dy >= 0 && y + dy < height {
                s += noise[(y + dy) * width + x + dx]; n += 1
            } }
            left[x, y] = s / n
        }
    }
    var right = ImageBuffer<Float>(width: width, height: height, filledWith: .nan)
    for y in 0..<height {
        for xr in 0..<width where xr + disparity >= 0 && xr + disparity < width { right[xr, y] = left[xr + disparity, y] }
    }
    return (left, right)
}

/// The row decision tests' volumes (lowest disparity, range count, window width or nil): full
/// ranges of any sign (counts 32 and 64: the decision's in-register minimum) and per-pixel windows.
let decisionShapes: [(lowest: Int, count: Int, band: Int?)] = [
    (0, 1, nil), (-3, 9, nil), (2, 32, nil), (2, 33, nil), (-20, 48, nil), (-10, 64, nil), (-5, 70, 32), (0, 40, 16),
]

/// A `width` x `height` cost volume over `shape.lowest ..< shape.lowest + shape.count` (cells left
/// as they are), with random per-pixel windows of `shape.band` disparities when it has one.
func decisionVolume(width: Int, height: Int, shape: (lowest: Int, count: Int, band: Int?),
                    rng: inout SplitMix64) -> CostVolume {
    let volume = CostVolume(width: width, height: height, minDisparity: shape.lowest, count: shape.count)
    if let band = shape.band {
        let offsets = OffsetPattern.random.offsets(width: width, height: height, span: shape.count, bandWidth: band, rng: &rng)
        volume.reshape(width: width, height: height, minDisparity: shape.lowest, count: shape.count,
                       band: DisparityBand(width: band, offsets: offsets))
    }
    return volume
}
