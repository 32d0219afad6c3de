import Foundation
import HummingbirdBcrypt
import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

/// The operators file: lines `name:bcrypt-hash` (PRODUCT.md 7a). Read at
/// each check, so an operator added with `picket sector operators add`
/// can log in without a restart.
public struct Operators: Sendable {
    public let path: String?

    public init(path: String?) {
        self.path = path
    }

    /// Why the operators file cannot be appended to or read, naming it.
    public struct FileError: Error, Sendable, CustomStringConvertible {
        public var path: String
        public var problem: String
        public var description: String { "\(path) (operators_file): \(problem)" }
    }

    /// The cost of new hashes: about a quarter second on a small server.
    public static let bcryptCost: UInt8 = 12

    /// Checked against when the name is unknown (it matches no password
    /// that matters: the name check decides), made once at the same cost.
    static let unknownNameHash = Bcrypt.hash("picket: no such operator", cost: bcryptCost)

    /// Whether `name` and `password` match a line of the file. bcrypt
    /// takes a quarter second of CPU on purpose: it runs on NIO's blocking
    /// thread pool, not on the threads that serve requests.
    public func verify(name: String, password: String) async -> Bool {
        guard let path, let lines = try? Self.lines(path) else { return false }
        // An unknown name costs the same bcrypt as a known one, so the time
        // of the answer does not tell which names exist.
        let line = lines.first(where: { $0.name == name })
        let hash = line?.hash ?? Self.unknownNameHash
        let matches = (try? await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }) ?? false
        return line != nil && matches
    }

    static func lines(_ path: String) throws -> [(name: String, hash: String)] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        guard let data = FileManager.default.contents(atPath: path),
            let text = String(data: data, encoding: .utf8)
        else { throw FileError(path: path, problem: "cannot be read") }
        return text.split(separator: "\n").compactMap { line in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, !trimmed.hasPrefix("#"), let colon = trimmed.firstIndex(of: ":") else {
                return nil
            }
            return (String(trimmed[..<colon]), String(trimmed[trimmed.index(after: colon)...]))
        }
    }

    /// Why `name` cannot be an operator's name, or nil.
    public static func nameProblem(_ name: String) -> String? {
        if name.isEmpty { return "the name is empty" }
        if name.contains(":") { return "the name \(name) contains ':', which separates name and hash in the file" }
        if name.unicodeScalars.contains(where: { $0.value < 0x21 || $0.value == 0x7F }) {
            return "the name may not contain spaces or control characters"
        }
        return nil
    }

    /// Appends `name:bcrypt(password)`; creates the file with mode 0600.
    /// Refuses a name already in the file.
    public func add(name: String, password: String) throws {
        guard let path else {
            throw FileError(path: "(none)", problem: "no operators_file in the configuration; add one")
        }
        if let problem = Self.nameProblem(name) { throw FileError(path: path, problem: problem) }
        guard !password.isEmpty else { throw FileError(path: path, problem: "the password (standard input) is empty") }
        if try Self.lines(path).contains(where: { $0.name == name }) {
            throw FileError(
                path: path, problem: "operator \(name) is already in the file; remove the line to replace it")
        }
        let line = "\(name):\(Bcrypt.hash(password, cost: Self.bcryptCost))\n"
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw FileError(path: path, problem: "cannot open for writing: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        let bytes = Array(line.utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else {
                throw FileError(path: path, problem: "cannot write: \(String(cString: strerror(errno)))")
            }
            written += n
        }
        guard fsync(fd) == 0 else {
            throw FileError(path: path, problem: "cannot write: \(String(cString: strerror(errno)))")
        }
    }
}
