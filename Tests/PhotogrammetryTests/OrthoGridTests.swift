import Foundation
import Testing
@testable import Photogrammetry
import Raster

@Suite("Orthorectification: coarse inverse map, kernels, grid")
struct OrthoKernelTests {
    /// A smooth map (the shape of a projection: affine + small quadratic terms) is interpolated
    /// everywhere, within the tolerance at every pixel, not just at the check points.
    @Test("Smooth map: every cell interpolated, every pixel within 0.01 px", arguments: [8, 16, 32])
    func smooth(step: Int) {
        let f: (Double, Double) -> (Double, Double) = { x, y in
            (100 + 0.9 * x + 0.1 * y + 1e-6 * x * x, 50 - 0.1 * x + 0.95 * y + 2e-6 * x * y)
        }
        let exact: ([Double], [Double]) -> (columns: [Double], rows: [Double]) = { xs, ys in
            let p = zip(xs, ys).map { f($0, $1) }
            return (p.map(\.0), p.map(\.1))
        }
        let (w, h) = (100, 77)   // sizes that are not multiples of the step
        let m = coarseInverseMap(width: w, height: h, step: step, tolerance: 0.01, exact: exact)
        #expect(m.statistics.interpolatedCells == m.statistics.cells)
        var worst = 0.0
        for y in 0..<h { for x in 0..<w {
            let e = f(Double(x), Double(y))
            worst = max(worst, hypot(m.columns[y * w + x] - e.0, m.rows[y * w + x] - e.1))
        } }
        #expect(worst < 0.01, "largest interpolation error \(worst) px")
    }

    /// A map with a kink (as a bilinear DEM has at its sample lines) or NaN (DEM holes): the
    /// cells across it are computed exactly, so every pixel is exact or within the tolerance.
    /// (A hole narrower than the check-point spacing, half a step, can fall between check
    /// points and be interpolated over; DEM holes are far wider than a 16-px cell.)
    @Test("Kinked map and holes: the cells across them are exact")
    func kink() {
        let f: (Double, Double) -> (Double, Double) = { x, y in
            (x + (x > 40.3 ? 0.2 * (x - 40.3) : 0), y.isNaN || (y > 60 && y < 70) ? .nan : y)
        }
        let exact: ([Double], [Double]) -> (columns: [Double], rows: [Double]) = { xs, ys in
            let p = zip(xs, ys).map { f($0, $1) }
            return (p.map(\.0), p.map(\.1))
        }
        let (w, h) = (96, 96)
        let m = coarseInverseMap(width: w, height: h, step: 16, tolerance: 0.01, exact: exact)
        #expect(m.statistics.interpolatedCells < m.statistics.cells)
        #expect(m.statistics.interpolatedCells >= m.statistics.cells - 20, "only the cells on the kink column and the NaN rows are exact")
        for y in 0..<h { for x in 0..<w {
            let e = f(Double(x), Double(y))
            if e.1.isNaN { #expect(m.rows[y * w + x].isNaN); continue }
            #expect(hypot(m.columns[y * w + x] - e.0, m.rows[y * w + x] - e.1) < 0.01, "pixel (\(x), \(y))")
        } }
    }

    @Test("Kernels interpolate a linear ramp exactly and weights sum to 1", arguments: OrthoResampling.allCases)
    func kernels(_ method: OrthoResampling) {
        var ramp = ImageBuffer<Float>(width: 20, height: 20)
        for y in 0..<20 { for x in 0..<20 { ramp[x, y] = Float(3 * x + 2 * y) } }
        let cols = [5.25, 9.5, 10.0, -0.4, 19.6], rows = [7.75, 3.5, 10.0, 4.0, 4.0]
        let out = resampleSensor(ramp, originX: 0, originY: 0, imageWidth: 20, imageHeight: 20,
                                 columns: cols, rows: rows, width: 5, height: 1, method: method)
        for k in 0..<3 {
            let expected = method == .nearest ? Float(3 * cols[k].rounded() + 2 * rows[k].rounded()) : Float(3 * cols[k] + 2 * rows[k])
            // Lanczos (normalised) reproduces constants exactly, a ramp only to about 0.1 % of its slope x 10.
            let tolerance: Float = method == .lanczos ? 0.05 : 1e-3
            #expect(abs(out[k, 0] - expected) < tolerance, "\(method) at (\(cols[k]), \(rows[k])): \(out[k, 0]) vs \(expected)")
        }
        #expect(out[3, 0].isFinite, "inside the first pixel's area")
        #expect(out[4, 0].isNaN, "outside the image")
        let t = kernelTaps(method, 4.3)
        #expect(abs((0..<t.count).reduce(0.0) { $0 + t.weights[$1] } - 1) < 1e-12)
    }

    @Test("Grids: corners on multiples of the resolution; rounded resolutions")
    func grid() throws {
        let g = try OrthoGrid.covering(minX: 1000.3, minY: 2000.1, maxX: 1010.0, maxY: 2004.9, resolution: 0.5, epsg: 32631)
        #expect(g.originX == 1000 && g.originY == 2005 && g.width == 20 && g.height == 10)
        #expect(OrthoGrid.roundedResolution(0.55) == 0.5 && OrthoGrid.roundedResolution(0.7) == 0.5)
        #expect(OrthoGrid.roundedResolution(2.2) == 2 && OrthoGrid.roundedResolution(2.8) == 2.5)
        #expect(throws: OrthoError.self) { try OrthoGrid.covering(minX: 0, minY: 0, maxX: 1e5, maxY: 1e5, resolution: 1e-3, epsg: 32631) }
        #expect(throws: OrthoError.invalidResolution(0)) { try OrthoGrid.covering(minX: 0, minY: 0, maxX: 1, maxY: 1, resolution: 0, epsg: 32631) }
    }
}
