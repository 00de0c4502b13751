/// A rectangle of pixels: `x`, `y` of its top-left pixel (0-based column and row) and its size.
/// Windows may extend past an image's borders; `clipped(toWidth:height:)` gives the part inside.
public struct Window: Hashable, Sendable, CustomStringConvertible {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    /// The whole of an image of the given size.
    public init(width: Int, height: Int) {
        self.init(x: 0, y: 0, width: width, height: height)
    }

    public var maxX: Int { x + width }
    public var maxY: Int { y + height }
    public var isEmpty: Bool { width <= 0 || height <= 0 }
    public var pixelCount: Int { isEmpty ? 0 : width * height }

    /// The common part of two windows, or nil when they do not overlap.
    public func intersection(_ other: Window) -> Window? {
        let x0 = max(x, other.x), y0 = max(y, other.y)
        let x1 = min(maxX, other.maxX), y1 = min(maxY, other.maxY)
        guard x1 > x0, y1 > y0 else { return nil }
        return Window(x: x0, y: y0, width: x1 - x0, height: y1 - y0)
    }

    /// The part of this window inside an image of the given size, or nil when none is.
    public func clipped(toWidth width: Int, height: Int) -> Window? {
        intersection(Window(width: width, height: height))
    }

    /// This window grown by `margin` pixels on each side (shrunk when negative).
    public func expanded(by margin: Int) -> Window {
        Window(x: x - margin, y: y - margin, width: width + 2 * margin, height: height + 2 * margin)
    }

    /// This window moved by (dx, dy).
    public func offsetBy(dx: Int, dy: Int) -> Window {
        Window(x: x + dx, y: y + dy, width: width, height: height)
    }

    public func contains(x px: Int, y py: Int) -> Bool {
        px >= x && px < maxX && py >= y && py < maxY
    }

    public var description: String { "x \(x), y \(y), \(width)x\(height)" }
}
