import ChatProtocol
import Foundation
import Testing

/// Loads a JSON fixture. Fixtures are stored without a trailing newline; the bytes are used exactly as stored.
func jsonFixture(_ name: String, version: String = "v1") throws -> [UInt8] {
    let url = try #require(
        Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures/json/\(version)"),
        "missing fixture Fixtures/json/\(version)/\(name).json"
    )
    return Array(try Data(contentsOf: url))
}

/// The public JSON entry points every v1 type (and the token claims) offers.
protocol PublicJSONCodable: Hashable, Sendable {
    init(jsonBytes: [UInt8]) throws
    func jsonBytes() -> [UInt8]
}

extension V1.Message: PublicJSONCodable {}
extension V1.InboundFrame: PublicJSONCodable {}
extension V1.MatchResult: PublicJSONCodable {}
extension V1.FilePayload: PublicJSONCodable {}
extension V1.HistoryPage: PublicJSONCodable {}
extension V1.CreateUserRequest: PublicJSONCodable {}
extension V1.User: PublicJSONCodable {}
extension V1.UserIDList: PublicJSONCodable {}
extension V1.PresignedUpload: PublicJSONCodable {}
extension V1.PresignedDownload: PublicJSONCodable {}
extension V1.UploadedFiles: PublicJSONCodable {}
extension V1.ErrorBody: PublicJSONCodable {}
extension ChannelTokenClaims: PublicJSONCodable {}

/// A value paired with the exact bytes of its fixture, type-erased so one `arguments:` table holds every type.
struct JSONGoldenVector: Sendable, CustomTestStringConvertible {
    let fixture: String
    let version: String
    let typeName: String
    /// Encodes the value.
    let encode: @Sendable () -> [UInt8]
    /// Decodes the bytes and reports whether the result equals the value, with a description of the result.
    let decode: @Sendable ([UInt8]) throws -> (equal: Bool, decoded: String)

    init<T: PublicJSONCodable>(_ fixture: String, _ value: T, version: String = "v1") {
        self.fixture = fixture
        self.version = version
        self.typeName = String(describing: T.self)
        self.encode = { value.jsonBytes() }
        self.decode = { bytes in
            let decoded = try T(jsonBytes: bytes)
            return (decoded == value, String(describing: decoded))
        }
    }

    var testDescription: String { "\(self.version)/\(self.fixture).json (\(self.typeName))" }
}

/// Bytes that must decode to the value: Go-lenient inputs, whitespace, unknown keys.
struct JSONLenientVector: Sendable, CustomTestStringConvertible {
    let name: String
    let input: String
    let decode: @Sendable ([UInt8]) throws -> (equal: Bool, decoded: String)

    init<T: PublicJSONCodable>(_ name: String, _ input: String, _ value: T) {
        self.name = name
        self.input = input
        self.decode = { bytes in
            let decoded = try T(jsonBytes: bytes)
            return (decoded == value, String(describing: decoded))
        }
    }

    var testDescription: String { self.name }
}

/// Bytes that must fail with one exact ``WireError``.
struct JSONMalformedVector: Sendable, CustomTestStringConvertible {
    let name: String
    let input: [UInt8]
    let code: WireError.Code
    let offset: Int
    let decode: @Sendable ([UInt8]) throws -> Void

    init<T: PublicJSONCodable>(_ name: String, _ input: String, as type: T.Type, _ code: WireError.Code, at offset: Int)
    {
        self.init(name, Array(input.utf8), as: type, code, at: offset)
    }

    init<T: PublicJSONCodable>(
        _ name: String,
        _ input: [UInt8],
        as type: T.Type,
        _ code: WireError.Code,
        at offset: Int
    ) {
        self.name = name
        self.input = input
        self.code = code
        self.offset = offset
        self.decode = { bytes in _ = try T(jsonBytes: bytes) }
    }

    var testDescription: String { "\(self.name) → \(self.code) at \(self.offset)" }
}

extension V2.ChatClientFrame: PublicJSONCodable {}
extension V2.ChatServerFrame: PublicJSONCodable {}
extension V2.MatchClientFrame: PublicJSONCodable {}
extension V2.MatchServerFrame: PublicJSONCodable {}
extension V2.HistoryPage: PublicJSONCodable {}
