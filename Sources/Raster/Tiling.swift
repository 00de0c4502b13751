/// One tile of a `Tiling`: the core it is responsible for and the window to read (core plus
/// halo, clipped to the image).
public struct Tile: Hashable, Sendable {
    /// Position in the tiling, row-major: `row * columns + column`.
    public let index: Int
    public let column: Int
    public let row: Int
    /// The pixels this tile owns. The cores of a tiling cover the image exactly once.
    public let core: Window
    /// Core grown by the halo on each side, clipped at the image borders: what to read.
    public let window: Window
    /// Core grown by the halo, not clipped: read this with a fill value to get a constant margin.
    public let paddedWindow: Window

    /// Where the core sits inside `window` (offsets relative to `window`).
    public var coreInWindow: Window { core.offsetBy(dx: -window.x, dy: -window.y) }
    /// Where the core sits inside `paddedWindow`.
    public var coreInPaddedWindow: Window { core.offsetBy(dx: -paddedWindow.x, dy: -paddedWindow.y) }
}

/// Splits a `width` x `height` image into tiles of `tileWidth` x `tileHeight` (the last row and
/// column smaller when the size does not divide), each with `halo` extra pixels on every side.
/// Any tile size >= 1 works, including sizes larger than the image (one tile).
public struct Tiling: RandomAccessCollection, Sendable {
    public let width: Int
    public let height: Int
    public let tileWidth: Int
    public let tileHeight: Int
    public let halo: Int
    public let columns: Int
    public let rows: Int

    public init(width: Int, height: Int, tileWidth: Int, tileHeight: Int? = nil, halo: Int = 0) throws {
        let th = tileHeight ?? tileWidth
        guard width > 0, height > 0 else {
            throw RasterError(.invalidArgument, message: "cannot tile an empty image (\(width)x\(height))")
        }
        guard tileWidth >= 1, th >= 1 else {
            throw RasterError(.invalidArgument, message: "tile size must be at least 1, got \(tileWidth)x\(th)")
        }
        guard halo >= 0 else {
            throw RasterError(.invalidArgument, message: "halo must not be negative, got \(halo)")
        }
        self.width = width
        self.height = height
        self.tileWidth = tileWidth
        self.tileHeight = th
        self.halo = halo
        self.columns = (width + tileWidth - 1) / tileWidth
        self.rows = (height + th - 1) / th
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { columns * rows }

    public subscript(position: Int) -> Tile {
        precondition(position >= 0 && position < endIndex, "Tiling: tile \(position) out of 0..<\(endIndex)")
        let column = position % columns, row = position / columns
        let x = column * tileWidth, y = row * tileHeight
        let core = Window(x: x, y: y, width: Swift.min(tileWidth, width - x), height: Swift.min(tileHeight, height - y))
        let padded = core.expanded(by: halo)
        // The core is inside the image, so the padded window always meets it.
        let window = padded.clipped(toWidth: width, height: height)!
        return Tile(index: position, column: column, row: row, core: core, window: window, paddedWindow: padded)
    }
}
