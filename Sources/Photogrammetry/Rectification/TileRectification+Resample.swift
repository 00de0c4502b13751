import Raster

/// The two rectified tiles of a pair, same size, NaN where a pixel has no data (outside the
/// sensor image, its nodata, or the bicubic support touching either).
public struct RectifiedPair: Sendable {
    public var left: ImageBuffer<Float>
    public var right: ImageBuffer<Float>
}

extension TileRectification {
    /// Resamples both images into the rectified frame (bicubic, Keys a = -0.5), reading only the
    /// sensor windows the rectified tiles need (memory bounded by the tile, not the image).
    /// Pixels equal to a band's nodata value become NaN before interpolation.
    ///
    /// - Parameter band: the 1-based band of both images.
    /// - Throws: `RasterError` when an image cannot be opened or read.
    /// - Complexity: O(width · height) plus reading two windows of about the tile's size.
    public func resample(band: Int = 1) throws -> RectifiedPair {
        RectifiedPair(
            left: try Self.resample(path: reference.path, band: band, map: leftInverse, width: width, height: height),
            right: try resampleRight(band: band))
    }

    /// Resamples the secondary image only: after `correctingRowOffset`, which moves the right map
    /// alone, the left tile already resampled stays valid.
    public func resampleRight(band: Int = 1) throws -> ImageBuffer<Float> {
        try Self.resample(path: secondary.path, band: band, map: rightInverse, width: width, height: height)
    }

    /// One image: `map` sends rectified pixels to sensor coordinates.
    static func resample(path: String, band: Int, map: AffineMap2D, width: Int, height: Int) throws -> ImageBuffer<Float> {
        let dataset = try Dataset(path: path)
        let window = sensorWindow(for: map, width: width, height: height)
        guard window.intersection(dataset.bounds) != nil else {
            return ImageBuffer(width: width, height: height, filledWith: .nan)
        }
        var source = try dataset.read(Float.self, band: band, window: window, fill: .nan)
        try dataset.maskNodata(&source, band: band)
        return resampleBicubic(source, origin: (window.x, window.y), map: map, width: width, height: height)
    }
}
