import CGDAL

extension Dataset {
    /// Reads `window` of one band reduced by an integer `factor`: each output pixel is the mean
    /// of the `factor` x `factor` source pixels it covers (GDAL's average resampling, which skips
    /// the band's nodata pixels; an output pixel with none valid gets the nodata value). The
    /// window must lie inside the image and its sides be multiples of `factor`; the result is
    /// `window.width / factor` x `window.height / factor`, pixel corners aligned with the window's.
    /// Overviews of the file are used by GDAL when they match.
    ///
    /// - Throws: `RasterError` (`.invalidArgument` for a factor below 1, a window outside the image
    ///   or not a multiple of the factor; `.readFailed`).
    /// - Complexity: O(window pixels) read, O(window pixels / factor²) memory for the result
    ///   (GDAL reads the source in chunks).
    public func readDownsampled(band: Int = 1, window: Window, factor: Int) throws -> ImageBuffer<Float> {
        let handle = try bandHandle(band)
        guard factor >= 1 else {
            throw RasterError(.invalidArgument, path: path, band: band, window: window, message: "downsampling factor \(factor) below 1")
        }
        guard window.width > 0, window.height > 0, window.width % factor == 0, window.height % factor == 0,
              window.intersection(bounds) == window else {
            throw RasterError(.invalidArgument, path: path, band: band, window: window,
                              message: "a downsampled read needs a window inside the \(width)x\(height) image, sides multiples of \(factor)")
        }
        let w = window.width / factor, h = window.height / factor
        var buffer = ImageBuffer<Float>(width: w, height: h, filledWith: 0)
        var extra = GDALRasterIOExtraArg()
        extra.nVersion = 1
        extra.eResampleAlg = factor == 1 ? GRIORA_NearestNeighbour : GRIORA_Average
        try buffer.storage.withUnsafeMutableBufferPointer { pixels in
            try GDALCall.check(.readFailed, path: path, band: band, window: window) {
                GDALRasterIOEx(handle, GF_Read, Int32(window.x), Int32(window.y), Int32(window.width), Int32(window.height),
                               pixels.baseAddress!, Int32(w), Int32(h), GDT_Float32,
                               GSpacing(MemoryLayout<Float>.stride), GSpacing(w * MemoryLayout<Float>.stride), &extra)
            }
        }
        return buffer
    }
}
