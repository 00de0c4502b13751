import Raster

/// An image of a stereo set: its path, size and RPC model (crop offsets applied).
public struct StereoImage: Sendable, Equatable {
    public let path: String
    public let width: Int
    public let height: Int
    public let model: RPCModel

    public init(path: String, width: Int, height: Int, model: RPCModel) {
        self.path = path
        self.width = width
        self.height = height
        self.model = model
    }

    /// Opens an image for its size and finds its RPC model (`RPCModel.load(image:model:)`:
    /// embedded, sidecar or `model`, CNES crop offsets applied).
    /// - Throws: `RasterError` when the image cannot be opened, `RPCError.noRPC` when it has no
    ///   RPC model anywhere.
    public static func load(_ path: String, model: String? = nil) throws -> StereoImage {
        let dataset = try Dataset(path: path)
        let rpc = try RPCModel.load(image: path, model: model)
        return StereoImage(path: path, width: dataset.width, height: dataset.height, model: rpc)
    }

    /// The whole image as a window.
    public var bounds: Window { Window(width: width, height: height) }

    /// The footprint of a window of this image (by default the whole image) at a height.
    public func footprint(of window: Window? = nil, height h: Double, step: Int = 64) throws -> Footprint {
        try model.footprint(of: window ?? bounds, height: h, step: step, image: path)
    }
}
