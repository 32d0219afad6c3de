import Crypto
import PicketConfig
import PicketDelivery

/// The boxes allowed to post and the secret each signs with, read from the
/// `boxes[].secret_file` files as a box reads its own (`Secrets.read`).
public struct BoxKeys: Sendable {
    private let keys: [String: [UInt8]]

    /// A secret file that cannot be used, located in the configuration.
    public struct LoadError: Error, Sendable, CustomStringConvertible {
        public var file: String
        public var line: Int?
        public var key: String
        public var problem: String
        public var description: String {
            "\(file)\(line.map { ":\($0)" } ?? ""): \(key): \(problem)"
        }

        /// `read` on a secret file that `configuration` names under `key` at
        /// `line`; its `SecretFileError` becomes a `LoadError` naming the
        /// configuration's line, the file and what it holds (`holds`).
        static func reading<T>(
            _ configuration: SectorConfiguration, key: String, line: Int?, holds: String,
            _ read: () throws(SecretFileError) -> T
        ) throws(LoadError) -> T {
            do throws(SecretFileError) {
                return try read()
            } catch {
                throw LoadError(
                    file: configuration.file, line: line, key: key,
                    problem: "\(error.path): \(error.problem) (\(holds))")
            }
        }
    }

    public init(secrets: [String: [UInt8]]) {
        keys = secrets
    }

    /// Reads every box's secret; the first file that cannot be used is
    /// reported with the configuration line that names it.
    public init(configuration: SectorConfiguration, credentialSources: String = Secrets.credentialSources) throws {
        var secrets: [String: [UInt8]] = [:]
        for (index, box) in configuration.boxes.enumerated() {
            let key = "boxes[\(index)].secret_file"
            secrets[box.box] = try LoadError.reading(
                configuration, key: key, line: box.secretFileLine, holds: "the secret box \(box.box) signs with"
            ) { () throws(SecretFileError) in
                try Secrets.read(box.secretFile, key: key, credentialSources: credentialSources)
            }
        }
        self.init(secrets: secrets)
    }

    public func knows(_ box: String) -> Bool { keys[box] != nil }

    public var boxes: [String] { keys.keys.sorted() }

    /// Whether `header` is `v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`
    /// under `box`'s secret (PRODUCT.md section 6), compared in constant
    /// time. `timestamp` is the header's text exactly as sent.
    public func verify(box: String, timestamp: String, body: [UInt8], header: String) -> Bool {
        guard let key = keys[box], header.hasPrefix("v1="), let code = Self.hex(header.dropFirst(3)),
            code.count == SHA256.byteCount
        else { return false }
        var message = Array("\(timestamp).".utf8)
        message += body
        return HMAC<SHA256>.isValidAuthenticationCode(code, authenticating: message, using: SymmetricKey(data: key))
    }

    static func hex(_ text: Substring) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        func value(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: c - 48
            case 97...102: c - 87
            case 65...70: c - 55
            default: nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = value(digits[index]), let low = value(digits[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }
}
