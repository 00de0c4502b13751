import Foundation

/// How long the reader fuzz tests run: a few seconds by default; `RELIEF_FUZZ_ITERATIONS` (per
/// seed file) and `RELIEF_FUZZ_SEED` make the longer runs of `Benchmarks/fuzz-readers.sh`.
enum FuzzBudget {
    static func iterations(default value: Int) -> Int {
        ProcessInfo.processInfo.environment["RELIEF_FUZZ_ITERATIONS"].flatMap { Int($0) }.map { max(1, $0) } ?? value
    }

    static func seed(default value: UInt64) -> UInt64 {
        ProcessInfo.processInfo.environment["RELIEF_FUZZ_SEED"].flatMap { UInt64($0) } ?? value
    }

    /// One line for the script to collect: `FUZZ name key=value ...`.
    static func report(_ name: String, _ fields: KeyValuePairs<String, Any>) {
        print("FUZZ \(name) " + fields.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
    }
}
