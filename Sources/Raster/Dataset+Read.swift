import CGDAL

extension Dataset {
    /// Reads `window` of the given bands (1-based, all bands by default) as `T`, converting from
    /// the file's type as GDAL does (clamping, rounding). Parts of the window outside the image
    /// get `fill`. The result has `window`'s size, one buffer band per requested band.
    ///
    /// - Complexity: O(window pixels x bands); reads only the part inside the image.
    public func read<T: RasterScalar>(
        _ type: T.Type = T.self, window: Window, bands: [Int]? = nil, fill: T = .zero
    ) throws -> ImageBuffer<T> {
        let bandList = bands ?? Array(1...bandCount)
        guard !bandList.isEmpty else {
            throw RasterError(.invalidArgument, path: path, window: window, message: "no band requested")
        }
        for band in bandList {
            // GDAL converts a complex pixel to a real one silently (a CFloat32 DEM read as zeros).
            let gdal = GDALGetRasterDataType(try bandHandle(band))
            if GDALDataTypeIsComplex(gdal) != 0 {
                throw RasterError(.unsupported, path: path, band: band,
                                  message: "pixel type \(String(cString: GDALGetDataTypeName(gdal))) is complex: give a real-valued raster")
            }
        }
        guard window.width > 0, window.height > 0 else {
            throw RasterError(.invalidArgument, path: path, window: window, message: "empty window")
        }
        var buffer = ImageBuffer<T>(width: window.width, height: window.height, bands: bandList.count, filledWith: fill)
        guard let inside = window.intersection(bounds) else { return buffer }
        let elementSize = MemoryLayout<T>.stride
        let offset = buffer.index(x: inside.x - window.x, y: inside.y - window.y)
        var gdalBands = bandList.map { Int32($0) }
        let rowStride = buffer.rowStride, bandStride = buffer.bandStride
        try buffer.storage.withUnsafeMutableBufferPointer { pixels in
            let start = UnsafeMutableRawPointer(pixels.baseAddress! + offset)
            try GDALCall.check(.readFailed, path: path, band: bandList.count == 1 ? bandList[0] : nil, window: window) {
                GDALDatasetRasterIOEx(
                    handle, GF_Read, Int32(inside.x), Int32(inside.y), Int32(inside.width), Int32(inside.height),
                    start, Int32(inside.width), Int32(inside.height), T.pixelType.gdal,
                    Int32(gdalBands.count), &gdalBands,
                    GSpacing(elementSize), GSpacing(rowStride * elementSize), GSpacing(bandStride * elementSize), nil)
            }
        }
        return buffer
    }

    /// Reads one band's window (1-based band). See `read(_:window:bands:fill:)`.
    public func read<T: RasterScalar>(
        _ type: T.Type = T.self, band: Int, window: Window, fill: T = .zero
    ) throws -> ImageBuffer<T> {
        try read(type, window: window, bands: [band], fill: fill)
    }

    /// Reads the whole of one band.
    public func readAll<T: RasterScalar>(_ type: T.Type = T.self, band: Int = 1) throws -> ImageBuffer<T> {
        try read(type, window: bounds, bands: [band])
    }
}
