import Foundation
import Raster

/// How the pixels of a PAN image and of the MS image of the same acquisition correspond: an
/// affine map from PAN pixel coordinates to MS pixel coordinates (both 0-based, first pixel
/// centre at 0, as the RPC convention), with the error of that affine model.
///
/// Pléiades and SPOT 6/7 sample MS on a grid 4 times coarser. Where MS pixel k sits on the PAN
/// grid (its "phase") is a convention of the product: MS pixel k centred on PAN pixel 4k (phase
/// 0) or on the centre of PAN pixels 4k ... 4k+3 (phase 1.5 PAN px = 0.375 MS px). On the Ventoux
/// crops (PAN offset 5000, MS offset 1240) the images themselves say phase 0: the correlation of
/// the 4x4-averaged PAN with the MS intensity peaks at MS = PAN / 4 + 10.000 on both axes
/// (±0.06 MS px, r = 0.96), where phase 1.5 would give 9.625. Their .geom RPCs give
/// MS = PAN / 4 + (10.000, 10.500): the columns agree, the rows are 0.5 MS px (2 PAN px) off.
/// `knownRatio` writes the nominal model (phase 0 by default); `fromRPC` the RPC relation.
public struct PanMSGeometry: Sendable, Equatable {
    /// PAN pixel (x, y) -> MS pixel coordinates.
    public var msFromPan: AffineMap2D
    /// Largest distance (MS pixels) between the RPC relation and `msFromPan` on the check grid;
    /// 0 for `knownRatio`.
    public var maxResidual: Double

    public init(msFromPan: AffineMap2D, maxResidual: Double = 0) {
        self.msFromPan = msFromPan
        self.maxResidual = maxResidual
    }

    /// MS pixels per PAN pixel along x and y (0.25 for Pléiades).
    public var scale: (x: Double, y: Double) {
        (hypot(msFromPan.a, msFromPan.d), hypot(msFromPan.b, msFromPan.e))
    }

    /// The nominal relation: ms = (pan + panOffset - phase) / r - msOffset, where the offsets are
    /// the crops' origins in their full scenes (0 for full scenes) and `phase` the PAN coordinate
    /// of MS pixel 0's centre (0, or (r - 1) / 2 for block-centred MS pixels).
    public static func knownRatio(
        _ ratio: Int = 4, panOffset: (x: Double, y: Double) = (0, 0), msOffset: (x: Double, y: Double) = (0, 0),
        phase: Double = 0
    ) -> PanMSGeometry {
        let r = Double(ratio)
        return PanMSGeometry(msFromPan: AffineMap2D(
            a: 1 / r, b: 0, c: (panOffset.x - phase) / r - msOffset.x,
            d: 0, e: 1 / r, f: (panOffset.y - phase) / r - msOffset.y))
    }

    /// The relation through the two RPC models (each already shifted to its crop): PAN pixels on
    /// a `grid` x `grid` lattice over the image are localised at `height` (ellipsoidal; default the
    /// PAN model's height offset) and projected into the MS model; an affine map is fitted to them
    /// by least squares. The residual tells whether one affine map describes the relation (PAN and
    /// MS arrays of one instrument: about 1e-3 MS px on the Ventoux crop).
    public static func fromRPC(
        pan: RPCModel, ms: RPCModel, panWidth: Int, panHeight: Int, height: Double? = nil, grid: Int = 7
    ) throws -> PanMSGeometry {
        let h = height ?? pan.coefficients.heightOffset
        var xs: [Double] = [], ys: [Double] = [], us: [Double] = [], vs: [Double] = []
        for j in 0..<grid {
            for i in 0..<grid {
                let x = Double(i) * Double(panWidth - 1) / Double(grid - 1)
                let y = Double(j) * Double(panHeight - 1) / Double(grid - 1)
                let ground = try pan.localization(column: x, row: y, height: h)
                let p = ms.projection(longitude: ground.longitude, latitude: ground.latitude, height: h)
                xs.append(x); ys.append(y); us.append(p.column); vs.append(p.row)
            }
        }
        let n = xs.count
        func fit(_ target: [Double]) -> [Double]? {
            var a = [Double](repeating: 1, count: 3 * n)   // columns: x, y, 1 (column-major)
            for k in 0..<n { a[k] = xs[k]; a[n + k] = ys[k] }
            var b = target
            return solveLeastSquares(&a, &b, rows: n, columns: 3)
        }
        guard let u = fit(us), let v = fit(vs) else {
            throw RadiometryError.incompatibleImages(pan: pan.source, ms: ms.source, reason: "the RPC relation is degenerate")
        }
        let map = AffineMap2D(a: u[0], b: u[1], c: u[2], d: v[0], e: v[1], f: v[2])
        var worst = 0.0
        for k in 0..<n {
            let p = map.apply(x: xs[k], y: ys[k])
            worst = max(worst, hypot(p.x - us[k], p.y - vs[k]))
        }
        return PanMSGeometry(msFromPan: map, maxResidual: worst)
    }

    /// The MS area (pixel coordinates, min and max of x and y) that the pixel edges of a PAN
    /// window map onto.
    public func msExtent(ofPan window: Window) -> (minX: Double, minY: Double, maxX: Double, maxY: Double) {
        let x0 = Double(window.x) - 0.5, y0 = Double(window.y) - 0.5
        let x1 = Double(window.maxX) - 0.5, y1 = Double(window.maxY) - 0.5
        let corners = [(x0, y0), (x1, y0), (x0, y1), (x1, y1)].map { msFromPan.apply(x: $0.0, y: $0.1) }
        return (corners.map(\.x).min()!, corners.map(\.y).min()!, corners.map(\.x).max()!, corners.map(\.y).max()!)
    }

    /// Throws `msDoesNotCoverPan` unless the MS image (msWidth x msHeight) covers the whole PAN
    /// window: the PAN's pixel edges within half an MS pixel of the MS's. The half pixel is the
    /// edge replication a full scene needs: with phase 0 its last 1.5 PAN pixels lie beyond the
    /// last MS pixel's footprint (PAN 4 W - 0.5 maps to MS W - 0.125).
    public func checkCoverage(panWindow: Window, msWidth: Int, msHeight: Int, pan: String, ms: String) throws {
        let e = msExtent(ofPan: panWindow), tolerance = 0.5
        guard e.minX >= -0.5 - tolerance, e.minY >= -0.5 - tolerance,
              e.maxX <= Double(msWidth) - 0.5 + tolerance, e.maxY <= Double(msHeight) - 0.5 + tolerance else {
            let needed = String(format: "x %.1f...%.1f, y %.1f...%.1f", e.minX, e.maxX, e.minY, e.maxY)
            throw RadiometryError.msDoesNotCoverPan(pan: pan, ms: ms, needed: needed, msSize: "\(msWidth)x\(msHeight)")
        }
    }

    /// The MS read window that bicubic upsampling of `panWindow` needs (extent + 3 px), clipped
    /// to the image; nil when it misses the image.
    public func msReadWindow(forPan panWindow: Window, msWidth: Int, msHeight: Int) -> Window? {
        let e = msExtent(ofPan: panWindow)
        let x0 = Int(e.minX.rounded(.down)) - 3, y0 = Int(e.minY.rounded(.down)) - 3
        let x1 = Int(e.maxX.rounded(.up)) + 3, y1 = Int(e.maxY.rounded(.up)) + 3
        return Window(x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1).intersection(Window(width: msWidth, height: msHeight))
    }
}
