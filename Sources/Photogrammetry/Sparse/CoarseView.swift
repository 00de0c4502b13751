import Raster

/// A window of an image read in memory at `1 / factor` of its resolution (each coarse pixel the
/// mean of the `factor` x `factor` pixels it covers, nodata skipped), with the model of the whole
/// downsampled image: coarse pixel (i, j) of `pixels` is pixel (`origin.x` + i, `origin.y` + j)
/// of `image`, whose RPC is the full image's rescaled by `factor` (pixel corners aligned).
struct CoarseView: Sendable {
    /// The downsampled image: size `width / factor` x `height / factor`, rescaled model. Its
    /// path is the full-resolution file's (for messages; its pixels are `pixels`).
    let image: StereoImage
    let factor: Int
    /// NaN where every covered pixel is nodata (or outside the image).
    let pixels: ImageBuffer<Float>
    let origin: (x: Int, y: Int)

    /// The model and size of `full` downsampled by `factor`, without reading pixels.
    static func downsampled(_ full: StereoImage, factor: Int) -> StereoImage {
        StereoImage(path: full.path, width: full.width / factor, height: full.height / factor,
                    model: full.model.rescaled(by: Double(factor)))
    }

    /// Reads the part of `full` covering `window` (coarse pixels of `downsampled(full, factor)`),
    /// clipped to the image.
    /// - Throws: `RasterError` when the image cannot be read.
    static func read(_ full: StereoImage, coarseWindow window: Window, factor: Int) throws -> CoarseView {
        let coarse = downsampled(full, factor: factor)
        guard let inside = window.intersection(coarse.bounds) else {
            return CoarseView(image: coarse, factor: factor, pixels: ImageBuffer(width: 1, height: 1, filledWith: .nan), origin: (0, 0))
        }
        let dataset = try Dataset(path: full.path)
        var pixels = try dataset.readDownsampled(
            window: Window(x: inside.x * factor, y: inside.y * factor, width: inside.width * factor, height: inside.height * factor),
            factor: factor)
        try dataset.maskNodata(&pixels)
        return CoarseView(image: coarse, factor: factor, pixels: pixels, origin: (inside.x, inside.y))
    }

    /// A coarse-image point (0-based pixel centres) at full resolution.
    static func full(_ p: (x: Double, y: Double), factor: Int) -> SIMD2<Double> {
        let f = Double(factor)
        return SIMD2((p.x + 0.5) * f - 0.5, (p.y + 0.5) * f - 0.5)
    }

    /// A full-resolution point in the coarse image.
    static func coarse(_ p: SIMD2<Double>, factor: Int) -> SIMD2<Double> {
        let f = Double(factor)
        return (p + 0.5) / f - 0.5
    }

    /// The share of NaN pixels.
    var nodataShare: Double {
        let n = pixels.storage.count
        return n == 0 ? 1 : Double(pixels.storage.reduce(0) { $0 + ($1.isNaN ? 1 : 0) }) / Double(n)
    }
}
