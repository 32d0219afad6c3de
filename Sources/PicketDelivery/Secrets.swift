import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A secret or credentials file that cannot be used, naming the file and
/// the fix.
public struct SecretFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    /// The configuration key that names the file (`forward.secret_file`).
    public var key: String
    public var problem: String

    public var description: String { "\(path) (\(key)): \(problem)" }
}

/// Reads the shared secret of the sector endpoint and the SMS gateway's
/// credentials. Both must be readable by Picket and by nobody else on the
/// box: a file any user can read is refused, as ssh refuses a loose key.
public enum Secrets {
    /// The file's bytes without trailing whitespace (an editor's newline is
    /// not part of the secret).
    public static func read(_ path: String, key: String) throws(SecretFileError) -> [UInt8] {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw SecretFileError(path: path, key: key, problem: "cannot read: \(String(cString: strerror(errno)))")
        }
        if info.st_mode & S_IROTH != 0 {
            throw SecretFileError(
                path: path, key: key,
                problem: "is readable by every user on the box; make it private with chmod 600 (or 640 for a group)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SecretFileError(path: path, key: key, problem: "cannot read (permission denied?)")
        }
        var bytes = [UInt8](data)
        while let last = bytes.last, last == 0x0A || last == 0x0D || last == 0x20 || last == 0x09 { bytes.removeLast() }
        guard !bytes.isEmpty else { throw SecretFileError(path: path, key: key, problem: "is empty") }
        return bytes
    }

    /// `user:password` (an account SID and auth token) on the file's first line.
    public static func credentials(_ path: String, key: String) throws(SecretFileError) -> (
        user: String, password: String
    ) {
        let text = String(decoding: try read(path, key: key), as: UTF8.self)
        let line = text.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
        guard let colon = line.firstIndex(of: ":"), colon != line.startIndex else {
            throw SecretFileError(path: path, key: key, problem: "must hold user:password on its first line")
        }
        return (String(line[..<colon]), String(line[line.index(after: colon)...]))
    }
}
