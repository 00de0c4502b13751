import Foundation
import Raster

/// What can go wrong converting DN to reflectance or fusing PAN and MS images; each case names
/// the file and the field or size involved. GDAL reading and writing problems are `RasterError`s.
public enum RadiometryError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A field the conversion needs is absent (or empty) in the metadata file.
    case missingField(field: String, file: String)
    /// A field is present but cannot be used (not a number, out of range, wrong count).
    case invalidField(field: String, file: String, value: String, reason: String)
    /// The metadata file does not exist or cannot be read.
    case unreadableFile(String)
    /// The metadata file is not one of the formats read (DIMAP v2, Pléiades DIMAP v1.4, OSSIM .geom).
    case unknownMetadataFormat(file: String)
    /// No metadata file was given and none was found next to the image.
    case metadataNotFound(image: String, searched: [String])
    /// The image has a different number of bands than the metadata describes.
    case bandCountMismatch(image: String, imageBands: Int, metadata: String, metadataBands: Int)
    /// The MS image does not cover the PAN image (the PAN window and the MS window it needs).
    case msDoesNotCoverPan(pan: String, ms: String, needed: String, msSize: String)
    /// PAN and MS images that cannot be fused (wrong band counts, ratio, no relation).
    case incompatibleImages(pan: String, ms: String, reason: String)
    /// Two images compared by a quality metric have different sizes or band counts.
    case sizeMismatch(String)

    public var description: String {
        switch self {
        case .missingField(let field, let file): "\(file): the metadata field \(field) is missing"
        case .invalidField(let field, let file, let value, let reason):
            "\(file): the metadata field \(field) = '\(value)' cannot be used: \(reason)"
        case .unreadableFile(let file): "cannot read the metadata file \(file)"
        case .unknownMetadataFormat(let file):
            "\(file) is not a DIMAP v2, Pléiades DIMAP v1.4 or OSSIM .geom metadata file"
        case .metadataNotFound(let image, let searched):
            "no radiometric metadata found for \(image) (looked for \(searched.joined(separator: ", ")))"
        case .bandCountMismatch(let image, let imageBands, let metadata, let metadataBands):
            "\(image) has \(imageBands) band(s) but \(metadata) describes \(metadataBands)"
        case .msDoesNotCoverPan(let pan, let ms, let needed, let msSize):
            "the MS image \(ms) (\(msSize)) does not cover the PAN image \(pan): it needs MS pixels \(needed)"
        case .incompatibleImages(let pan, let ms, let reason): "cannot fuse \(pan) and \(ms): \(reason)"
        case .sizeMismatch(let what): "images of different sizes: \(what)"
        }
    }
}

extension RadiometryError: LocalizedError {
    public var errorDescription: String? { description }
}
