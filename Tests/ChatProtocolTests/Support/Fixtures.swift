import Foundation

/// Loads files from the test bundle's `Fixtures` folder.
enum Fixtures {
    struct Missing: Error, CustomStringConvertible {
        var path: String
        var description: String { "missing fixture \(self.path)" }
    }

    static var root: URL {
        get throws {
            guard let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
                throw Missing(path: "Fixtures")
            }
            return url
        }
    }

    /// The bytes of `Fixtures/protobuf/NAME.bin`, as made by `regenerate.sh` (protoc --encode).
    static func protobuf(_ name: String) throws -> [UInt8] {
        let url = try root.appendingPathComponent("protobuf/\(name).bin")
        guard let data = FileManager.default.contents(atPath: url.path) else { throw Missing(path: url.path) }
        return [UInt8](data)
    }

    /// The rows of `Fixtures/protobuf/manifest.tsv`: (name, message type, proto file).
    static func protobufManifest() throws -> [(name: String, type: String, proto: String)] {
        let url = try root.appendingPathComponent("protobuf/manifest.tsv")
        let text = try String(contentsOf: url, encoding: .utf8)
        return text.split(separator: "\n").compactMap { line in
            let columns = line.split(separator: "\t").map(String.init)
            guard columns.count == 3, !columns[0].hasPrefix("#") else { return nil }
            return (columns[0], columns[1], columns[2])
        }
    }
}
