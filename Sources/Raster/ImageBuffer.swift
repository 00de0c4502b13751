/// A typed, band-sequential image in memory: pixel (x, y) of band b is at
/// `b * bandStride + y * rowStride + x`. A value type with copy-on-write storage
/// (an Array), Sendable when its element is.
public struct ImageBuffer<Element: RasterScalar>: Sendable {
    public let width: Int
    public let height: Int
    public let bandCount: Int
    /// Elements between the starts of two consecutive rows (>= width).
    public let rowStride: Int
    /// Elements between the starts of two consecutive bands (>= rowStride * height).
    public let bandStride: Int
    public var storage: [Element]

    /// An image filled with `value`. `rowStride` defaults to `width` (rows packed).
    public init(width: Int, height: Int, bands: Int = 1, rowStride: Int? = nil, filledWith value: Element = .zero) {
        precondition(width >= 0 && height >= 0 && bands >= 1, "ImageBuffer: negative size or no band")
        let stride = rowStride ?? width
        precondition(stride >= width, "ImageBuffer: rowStride \(stride) < width \(width)")
        self.width = width
        self.height = height
        self.bandCount = bands
        self.rowStride = stride
        self.bandStride = stride * height
        self.storage = filledArray(value, count: stride * height * bands)
    }

    /// Wraps existing packed pixels (band-sequential, rows of `width`).
    public init(width: Int, height: Int, bands: Int = 1, pixels: [Element]) {
        precondition(pixels.count == width * height * bands, "ImageBuffer: \(pixels.count) pixels for \(width)x\(height)x\(bands)")
        self.width = width
        self.height = height
        self.bandCount = bands
        self.rowStride = width
        self.bandStride = width * height
        self.storage = pixels
    }

    @inlinable public func index(x: Int, y: Int, band: Int = 0) -> Int {
        band * bandStride + y * rowStride + x
    }

    /// Pixel (x, y) of band `band` (0-based here, as in Swift collections).
    @inlinable public subscript(x: Int, y: Int, band: Int = 0) -> Element {
        get { storage[index(x: x, y: y, band: band)] }
        set { storage[index(x: x, y: y, band: band)] = newValue }
    }

    /// The pixels of one band, packed row after row (drops any row padding).
    public func packedBand(_ band: Int = 0) -> [Element] {
        if rowStride == width { return Array(storage[band * bandStride ..< band * bandStride + width * height]) }
        var out: [Element] = []
        out.reserveCapacity(width * height)
        for y in 0..<height {
            let start = index(x: 0, y: y, band: band)
            out.append(contentsOf: storage[start ..< start + width])
        }
        return out
    }

    /// A copy of a sub-window (which must lie inside this image), all bands.
    public func cropped(to window: Window) -> ImageBuffer<Element> {
        precondition(window.x >= 0 && window.y >= 0 && window.maxX <= width && window.maxY <= height,
                     "ImageBuffer.cropped: window \(window) outside \(width)x\(height)")
        var out = ImageBuffer(width: window.width, height: window.height, bands: bandCount)
        for b in 0..<bandCount {
            for y in 0..<window.height {
                let src = index(x: window.x, y: window.y + y, band: b)
                let dst = out.index(x: 0, y: y, band: b)
                out.storage.replaceSubrange(dst ..< dst + window.width, with: storage[src ..< src + window.width])
            }
        }
        return out
    }
}

extension ImageBuffer: Equatable where Element: Equatable {}

/// `Array(repeating: value, count: count)` at memory-copy speed in unspecialised generic code
/// (`Dataset.read` is generic across the module boundary, where `Array(repeating:)` copies element
/// by element through the type's value witnesses): the first element set, then the filled part
/// doubled by byte copies, valid as raster scalars are bitwise copyable.
/// - Complexity: O(count).
func filledArray<Element: RasterScalar>(_ value: Element, count: Int) -> [Element] {
    [Element](unsafeUninitializedCapacity: count) { buffer, initialized in
        guard count > 0, let base = buffer.baseAddress else { initialized = 0; return }
        base.initialize(to: value)
        var filled = 1
        while filled < count {
            let n = min(filled, count - filled)
            UnsafeMutableRawPointer(base + filled).copyMemory(from: base, byteCount: n * MemoryLayout<Element>.stride)
            filled += n
        }
        initialized = count
    }
}
