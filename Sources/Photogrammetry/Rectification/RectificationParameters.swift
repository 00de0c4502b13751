/// Settings of the per-tile rectification (s2p's names and defaults where it has them).
public struct RectificationParameters: Sendable, Equatable {
    /// Grid points per axis of the virtual correspondences used for the fit: count² points at
    /// each of count heights (s2p `n_gcp_per_axis`, 5).
    public var gridPointsPerAxis = 5
    /// Columns added on each side of the rectified tile, at least the largest |disparity| (s2p
    /// `horizontal_margin`, 20 in its test configuration).
    public var horizontalMargin = 20
    /// Rows added above and below the rectified tile (s2p `vertical_margin`, 5).
    public var verticalMargin = 5
    /// Registers the right map with a shear fitted on virtual correspondences at the middle
    /// height (s2p `register_with_shear`), else with a translation only.
    public var registerWithShear = true
    /// The disparity range from the heights is widened by this fraction of its span on each side
    /// (s2p `disp_range_extra_margin`, 0.2) ...
    public var disparityMarginFraction = 0.2
    /// ... and by at least this many pixels (absorbs the affine approximation and interpolation).
    public var minimumDisparityMargin = 2
    /// Largest rectified tile side accepted (guards against degenerate maps).
    public var maximumRectifiedSide = 1 << 15

    public init() {}
}
