import Raster

extension HeightRange {
    /// The height at which two images look at the same place: the centre of the reference
    /// window, localised at height h, projects closest to the centre of the secondary window.
    /// Satellite stereo crops (s2p's and CARS's samples, or crops cut around one target) are
    /// centred on one ground area, so this height is a rough terrain height and a
    /// height-independent sanity check of a given height or DEM; it is no measurement (sparse
    /// matches come later). Searched every `step` metres over `heights`, then refined to 1 m.
    ///
    /// - Returns: the height and the distance in secondary pixels left at it.
    /// - Throws: `RPCError.localizationDidNotConverge`.
    /// - Complexity: O(span / step) localisations.
    public static func centreAgreement(
        reference: StereoImage, window: Window? = nil, secondary: StereoImage, secondaryWindow: Window? = nil,
        heights: ClosedRange<Double> = -500...9_000, step: Double = 10
    ) throws -> (height: Double, distance: Double) {
        precondition(step > 0, "a positive step")
        let w = window ?? reference.bounds, s = secondaryWindow ?? secondary.bounds
        let c = StereoGeometry.centre(w)
        let column = c.x, row = c.y
        let target = StereoGeometry.centre(s)
        func distance(_ h: Double) throws -> Double {
            let g = try reference.model.localization(column: column, row: row, height: h)
            let p = secondary.model.projection(longitude: g.longitude, latitude: g.latitude, height: h)
            let d: SIMD2<Double> = SIMD2(p.column, p.row) - target
            return (d * d).sum().squareRoot()
        }
        var best = (height: heights.lowerBound, distance: Double.infinity)
        var h = heights.lowerBound
        while h <= heights.upperBound {
            let d = try distance(h)
            if d < best.distance { best = (h, d) }
            h += step
        }
        var fine = best
        for k in stride(from: best.height - step, through: best.height + step, by: 1) {
            let d = try distance(k)
            if d < fine.distance { fine = (k, d) }
        }
        return fine
    }
}
