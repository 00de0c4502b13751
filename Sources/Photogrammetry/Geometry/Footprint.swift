import Raster

/// The ground footprint of an image window at one height: the polygon of the window's outer
/// border (pixel edges, i.e. from column x - 0.5 to x + width - 0.5 in RPC coordinates)
/// localised on the surface `height` metres above the WGS84 ellipsoid.
public struct Footprint: Sendable, Equatable {
    /// The image (or model) the footprint belongs to, for messages.
    public let image: String
    /// The window of the image (pixels).
    public let window: Window
    /// Metres above the WGS84 ellipsoid.
    public let height: Double
    /// Counter-clockwise (longitude, latitude) vertices.
    public let polygon: GroundPolygon

    public var areaSquareKilometres: Double { polygon.areaSquareKilometres }
}

extension RPCModel {
    /// Points sampled on the outer border of a window: its 4 corners and every `step` pixels
    /// in between, clockwise in image space (x right, y down), in RPC coordinates (0-based
    /// pixel centres, so the border lies on half-integers).
    static func border(of window: Window, step: Int) -> (columns: [Double], rows: [Double]) {
        precondition(step > 0, "a positive border step")
        let x0 = Double(window.x) - 0.5, y0 = Double(window.y) - 0.5
        let x1 = Double(window.maxX) - 0.5, y1 = Double(window.maxY) - 0.5
        func samples(_ a: Double, _ b: Double, _ length: Int) -> [Double] {
            let n = max(1, (length + step - 1) / step)
            return (0..<n).map { a + (b - a) * Double($0) / Double(n) }  // b itself starts the next side
        }
        var cols: [Double] = [], rows: [Double] = []
        for c in samples(x0, x1, window.width) { cols.append(c); rows.append(y0) }
        for r in samples(y0, y1, window.height) { cols.append(x1); rows.append(r) }
        for c in samples(x1, x0, window.width) { cols.append(c); rows.append(y1) }
        for r in samples(y1, y0, window.height) { cols.append(x0); rows.append(r) }
        return (cols, rows)
    }

    /// The footprint of `window` of this model's image at `height` (metres above the ellipsoid):
    /// its border localised every `step` pixels (and at the 4 corners).
    ///
    /// - Throws: `RPCError.localizationDidNotConverge` for a border point that does not localise.
    /// - Complexity: O((width + height) / step) localisations.
    public func footprint(of window: Window, height: Double, step: Int = 64, image: String? = nil) throws -> Footprint {
        let (cols, rows) = RPCModel.border(of: window, step: step)
        let ground = try localize(columns: cols, rows: rows, heights: [Double](repeating: height, count: cols.count))
        let vertices = zip(ground.longitudes, ground.latitudes).map { SIMD2($0, $1) }
        return Footprint(image: image ?? source, window: window, height: height,
                         polygon: GroundPolygon(vertices: vertices).counterClockwise)
    }

    /// The bounding box, in this model's image, of ground points projected at a height: the
    /// pixel window (possibly outside the image) whose pixel edges hold them all.
    func enclosingWindow(of polygon: GroundPolygon, height: Double) -> Window? {
        guard !polygon.vertices.isEmpty else { return nil }
        let p = project(longitudes: polygon.vertices.map(\.x), latitudes: polygon.vertices.map(\.y),
                        heights: [Double](repeating: height, count: polygon.vertices.count))
        guard let c0 = p.columns.min(), let c1 = p.columns.max(), let r0 = p.rows.min(), let r1 = p.rows.max(),
              c0.isFinite, c1.isFinite, r0.isFinite, r1.isFinite else { return nil }
        // Snap within 1e-3 px (localisation is exact to 1e-4 px) so that a polygon on pixel
        // edges gives the window of those pixels, not one more.
        let snap = 1e-3
        let x0 = Int((c0 + 0.5 + snap).rounded(.down)), y0 = Int((r0 + 0.5 + snap).rounded(.down))
        let x1 = Int((c1 + 0.5 - snap).rounded(.up)), y1 = Int((r1 + 0.5 - snap).rounded(.up))
        return Window(x: x0, y: y0, width: x1 - x0, height: y1 - y0)
    }
}
