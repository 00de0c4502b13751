import Foundation

/// Turns a message written for the operator (a pipeline error, a queue error) into text a
/// client may read: the server's folders are removed (a catalogue file reads as
/// `product/image.tif`, an output as its path under the output root), any other absolute path
/// is cut to its last component, and advice naming command-line flags (`raise --memory`,
/// `--height`) is replaced by the request's own inputs or dropped.
struct ClientText: Sendable {
    /// Folder prefixes removed, longest first (as configured and as resolved).
    let roots: [String]

    init(roots: [String]) {
        var all: Set<String> = []
        for r in roots where !r.isEmpty && r != "/" {
            let trimmed = r.hasSuffix("/") ? String(r.dropLast()) : r
            all.insert(trimmed)
            if let resolved = realpath(trimmed, nil) {
                all.insert(String(cString: resolved))
                free(resolved)
            }
        }
        self.roots = all.sorted { $0.count > $1.count }
    }

    /// Client wording of operator advice: longest phrases first.
    static let advice: [(String, String)] = [
        ("; raise --memory or use a smaller ROI", "; use a smaller ROI, a coarser resolution or a smaller heightMargin"),
        ("raise --memory or use a smaller ROI", "use a smaller ROI, a coarser resolution or a smaller heightMargin"),
        ("; raise --memory", "; use a smaller ROI, a coarser resolution or a smaller heightMargin"),
        ("give the terrain height with --height or a DEM with --dem", "give the terrain height in input 'height'"),
        ("all workers of a queue must use the same --split-above", "the workers disagree on how to cut it"),
    ]

    func scrub(_ text: String) -> String {
        var s = text
        // A root alone (not followed by "/") is left to `cutPaths`, which keeps its last component.
        for root in roots { s = s.replacingOccurrences(of: root + "/", with: "") }
        for (from, to) in Self.advice { s = s.replacingOccurrences(of: from, with: to) }
        return Self.cutPaths(Self.dropFlags(s))
    }

    /// Any `--flag` left becomes the bare word (no command-line syntax reaches a client).
    static func dropFlags(_ s: String) -> String {
        var out = ""
        var rest = Substring(s)
        while let r = rest.range(of: "--") {
            let before = rest[..<r.lowerBound]
            let next = rest[r.upperBound...].first
            out += before
            if let next, next.isLetter, before.last.map({ $0 == " " || $0 == "(" }) ?? true {
                rest = rest[r.upperBound...]
            } else {
                out += "--"
                rest = rest[r.upperBound...]
            }
        }
        return out + rest
    }

    /// Absolute paths (a `/` at the start of a word, followed by a folder name and another `/`)
    /// cut to their last component.
    static func cutPaths(_ s: String) -> String {
        let chars = Array(s)
        var out = ""
        var i = 0
        let stops: Set<Character> = [" ", "'", "\"", ",", ";", ")", "(", "[", "]", "\n", "\t"]
        while i < chars.count {
            let atWordStart = i == 0 || stops.contains(chars[i - 1])
            if chars[i] == "/", atWordStart {
                var j = i
                while j < chars.count, !stops.contains(chars[j]) { j += 1 }
                let word = String(chars[i..<j])
                let parts = word.split(separator: "/")
                // "/x" alone (a ratio, a unit) stays; "/a/b..." is a path.
                out += parts.count >= 2 ? String(parts.last!) : word
                i = j
            } else {
                out.append(chars[i])
                i += 1
            }
        }
        return out
    }
}
