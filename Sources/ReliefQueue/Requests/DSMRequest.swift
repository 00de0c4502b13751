import Foundation

/// A DSM of a stereo pair (`dsm-run dsm` as a job). Paths are under the worker's input roots; the
/// output folder is relative to its output root.
public struct DSMRequest: Codable, Sendable, Equatable {
    public struct Image: Codable, Sendable, Equatable {
        /// The image (any raster GDAL reads), and optionally its RPC file (DIMAP XML, .geom, RPC text...).
        public var path: String
        public var rpc: String?
        public init(path: String, rpc: String? = nil) { self.path = path; self.rpc = rpc }
        enum CodingKeys: String, CodingKey, CaseIterable { case path, rpc }
        public init(from decoder: any Decoder) throws {
            try rejectUnknownKeys(decoder, allowed: CodingKeys.allCases.map(\.rawValue), in: "image")
            let c = try decoder.container(keyedBy: CodingKeys.self)
            path = try c.decode(String.self, forKey: .path)
            rpc = try c.decodeIfPresent(String.self, forKey: .rpc)
        }
    }

    /// Terrain height (WGS84 ellipsoid) ± margin, metres.
    public struct Height: Codable, Sendable, Equatable {
        public var value: Double
        public var margin: Double
        public init(value: Double, margin: Double = 100) { self.value = value; self.margin = margin }
    }

    /// A DEM giving the height range; `geoid` (EGM96 grid) when its heights are above the geoid.
    public struct DEM: Codable, Sendable, Equatable {
        public var path: String
        public var geoid: String?
        public init(path: String, geoid: String? = nil) { self.path = path; self.geoid = geoid }
    }

    /// Reference image first.
    public var images: [Image]
    /// COL,ROW,WIDTH,HEIGHT in the reference image; nil: all it shares with the secondary.
    public var roi: [Int]?
    public var resolution: Double
    public var height: Height?
    public var dem: DEM?
    /// `ellipsoid` (default) or `egm96` (needs `geoid`).
    public var datum: String?
    public var geoid: String?
    /// Products wanted: `dsm` (Float32 COG) for now.
    public var outputs: [String]
    /// Output folder relative to the output root; nil: `dsm-<first 12 hex digits of the request key>`.
    public var output: String?
    public var tile: Int?

    public init(images: [Image], roi: [Int]? = nil, resolution: Double = 0.5, height: Height? = nil, dem: DEM? = nil,
                datum: String? = nil, geoid: String? = nil, outputs: [String] = ["dsm"], output: String? = nil, tile: Int? = nil) {
        self.images = images
        self.roi = roi
        self.resolution = resolution
        self.height = height
        self.dem = dem
        self.datum = datum
        self.geoid = geoid
        self.outputs = outputs
        self.output = output
        self.tile = tile
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case images, roi, resolution, height, dem, datum, geoid, outputs, output, tile }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, allowed: CodingKeys.allCases.map(\.rawValue) + JobRequest.envelopeKeys, in: "dsm request")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        images = try c.decode([Image].self, forKey: .images)
        roi = try c.decodeIfPresent([Int].self, forKey: .roi)
        resolution = try c.decodeIfPresent(Double.self, forKey: .resolution) ?? 0.5
        height = try c.decodeIfPresent(Height.self, forKey: .height)
        dem = try c.decodeIfPresent(DEM.self, forKey: .dem)
        datum = try c.decodeIfPresent(String.self, forKey: .datum)
        geoid = try c.decodeIfPresent(String.self, forKey: .geoid)
        outputs = try c.decodeIfPresent([String].self, forKey: .outputs) ?? ["dsm"]
        output = try c.decodeIfPresent(String.self, forKey: .output)
        tile = try c.decodeIfPresent(Int.self, forKey: .tile)
    }

    public static let knownOutputs: Set<String> = ["dsm"]
    /// Largest ROI accepted, pixels (a 40000 x 40000 Pléiades scene is 1.6e9): beyond, the ROI is absurd.
    public static let maxROIPixels = 2_000_000_000
    /// Largest ROI column or row, and side, pixels: past any scene, and small enough that no
    /// sum or product of ROI numbers can overflow.
    public static let maxROIOrigin = 200_000
    public static let maxROISide = 200_000

    /// Checks everything but the paths (see `JobRequest.validate`).
    func validateValues() throws {
        guard images.count == 2 else { throw RequestError.invalid(field: "images", "a DSM needs exactly 2 images (reference first), got \(images.count)") }
        if let roi {
            guard roi.count == 4 else { throw RequestError.invalid(field: "roi", "must be [col, row, width, height], got \(roi.count) numbers") }
            // Each number range checked before any sum or product is formed from them.
            guard (0...Self.maxROIOrigin).contains(roi[0]), (0...Self.maxROIOrigin).contains(roi[1]) else {
                throw RequestError.invalid(field: "roi", "column and row must be in 0...\(Self.maxROIOrigin), got \(roi)")
            }
            guard roi[2] > 0, roi[3] > 0 else {
                throw RequestError.invalid(field: "roi", "sizes must be > 0, got \(roi)")
            }
            guard roi[2] <= Self.maxROISide, roi[3] <= Self.maxROISide, roi[2] * roi[3] <= Self.maxROIPixels else {
                throw RequestError.invalid(field: "roi", "\(roi[2]) x \(roi[3]) pixels is larger than any scene (at most \(Self.maxROIPixels))")
            }
        }
        // Same bound as dsm-run (DSMConfiguration.maxResolution, 100 m); 1 cm is below any VHR sensor's ground sample.
        guard resolution.isFinite, resolution >= 0.01, resolution <= 100 else {
            throw RequestError.invalid(field: "resolution", "must be in [0.01, 100] metres, got \(resolution)")
        }
        // Neither: the heights are measured from the images (the pipeline's sparse analysis).
        guard height == nil || dem == nil else { throw RequestError.invalid(field: "height", "give at most one of height and dem") }
        if let height {
            // Lowest land -430 m (Dead Sea), highest 8849 m, plus geoid undulations (about ±110 m).
            guard height.value.isFinite, height.value >= -600, height.value <= 9000 else {
                throw RequestError.invalid(field: "height.value", "must be in [-600, 9000] metres, got \(height.value)")
            }
            guard height.margin.isFinite, height.margin >= 0, height.margin <= 5000 else {
                throw RequestError.invalid(field: "height.margin", "must be in [0, 5000] metres, got \(height.margin)")
            }
        }
        let datum = self.datum ?? "ellipsoid"
        guard datum == "ellipsoid" || datum == "egm96" else { throw RequestError.invalid(field: "datum", "must be ellipsoid or egm96, got '\(datum)'") }
        if datum == "egm96" && geoid == nil { throw RequestError.invalid(field: "geoid", "datum egm96 needs a geoid grid") }
        guard !outputs.isEmpty, outputs.allSatisfy(Self.knownOutputs.contains) else {
            throw RequestError.invalid(field: "outputs", "must list some of \(Self.knownOutputs.sorted()), got \(outputs)")
        }
        if let tile { guard tile >= 16, tile <= 5000 else { throw RequestError.invalid(field: "tile", "must be in 16...5000 pixels, got \(tile)") } }
    }
}

/// A Pléiades World Heritage product of a Pléiades / SPOT scene (`PWHRecipe`: reflectance,
/// pan-sharpening, orthorectification, COG + STAC Item).
public struct PWHRequest: Codable, Sendable, Equatable {
    /// The product folder (DIMAP files with their images, as the provider lays them out).
    public var product: String
    /// Products wanted: `ortho` (the orthorectified pan-sharpened reflectance COG) and `stac`
    /// (its STAC Item); the recipe makes both, the job publishes those asked for.
    public var outputs: [String]
    /// DEM or DSM for the orthorectification (none: the RPC's height offset, said in the output).
    public var dem: String?
    /// Geoid grid when the DEM's heights are above the geoid (SRTM: EGM96).
    public var geoid: String?
    public var output: String?

    public init(product: String, outputs: [String], dem: String? = nil, geoid: String? = nil, output: String? = nil) {
        self.product = product
        self.outputs = outputs
        self.dem = dem
        self.geoid = geoid
        self.output = output
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case product, outputs, dem, geoid, output }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, allowed: CodingKeys.allCases.map(\.rawValue) + JobRequest.envelopeKeys, in: "pwh request")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        product = try c.decode(String.self, forKey: .product)
        outputs = try c.decode([String].self, forKey: .outputs)
        dem = try c.decodeIfPresent(String.self, forKey: .dem)
        geoid = try c.decodeIfPresent(String.self, forKey: .geoid)
        output = try c.decodeIfPresent(String.self, forKey: .output)
    }

    public static let knownOutputs: Set<String> = ["ortho", "stac"]
}

/// Test-only job (enabled by `RELIEF_QUEUE_PROBE=1` on both the submitter and the worker): sleeps,
/// appends one line `JOB_ID ATTEMPT` to a side-effect file, and fails its first attempts when asked.
public struct ProbeRequest: Codable, Sendable, Equatable {
    public var sleepMilliseconds: Int
    /// Side-effect file, relative to the output root.
    public var sideEffect: String?
    /// Fail attempts 1...failAttempts (a large number: a poison job).
    public var failAttempts: Int
    /// Distinguishes otherwise equal probes (idempotency).
    public var tag: String

    public init(sleepMilliseconds: Int = 0, sideEffect: String? = nil, failAttempts: Int = 0, tag: String = "") {
        self.sleepMilliseconds = sleepMilliseconds
        self.sideEffect = sideEffect
        self.failAttempts = failAttempts
        self.tag = tag
    }

    static var enabled: Bool { ProcessInfo.processInfo.environment["RELIEF_QUEUE_PROBE"] == "1" }
}
