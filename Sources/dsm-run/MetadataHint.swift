import Photogrammetry

/// A radiometric metadata file looked for beside an image and not found, said with the option
/// of this command that gives it (the library's message names no option: the queue has none).
struct MissingMetadata: Error, CustomStringConvertible {
    var description: String

    /// Runs `body`; `RadiometryError.metadataNotFound` for one of `options`' images becomes a
    /// message ending with that image's option (e.g. `["pan.tif": "--pan-dimap"]`).
    static func naming<T>(_ options: [String: String], _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as RadiometryError {
            guard case .metadataNotFound(let image, _) = error, let option = options[image] else { throw error }
            throw MissingMetadata(description: "\(error): give it with \(option) FILE")
        }
    }
}
