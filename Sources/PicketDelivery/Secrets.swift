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
    /// The file behind `/run/credentials/picket.service/` exists but this
    /// user may not read it (root-only, read by systemd for the service).
    var unreadableCredentialSource = false

    public var description: String { "\(path) (\(key)): \(problem)" }
}

/// Reads the shared secret of the sector endpoint and the SMS gateway's
/// credentials. Both must be readable by Picket and by nobody else on the
/// box: a file any user can read is refused, as ssh refuses a loose key.
public enum Secrets {
    /// The most a secret file may hold: a key or `user:password` is a line.
    public static let maximumBytes = 64 * 1024

    /// Where the shipped unit's `LoadCredential=` lines take the files that
    /// systemd hands over at `/run/credentials/picket.service/NAME`.
    public static let credentialSources = "/etc/picket"
    static let credentialsDirectory = "/run/credentials/picket.service/"

    /// The file's one line without trailing whitespace (an editor's newline
    /// is not part of the secret).
    ///
    /// Outside the service (`check-config` from a shell) the configured
    /// `/run/credentials/picket.service/NAME` does not exist; the file
    /// systemd copies there, `credentialSources/NAME`, is checked instead.
    public static func read(
        _ path: String, key: String, credentialSources: String = Secrets.credentialSources
    ) throws(SecretFileError) -> [UInt8] {
        if path.hasPrefix(credentialsDirectory), !exists(path) {
            let name = String(path.dropFirst(credentialsDirectory.count))
            let source = "\(credentialSources)/\(name)"
            guard !name.isEmpty, !name.contains("/"), exists(source) else {
                throw SecretFileError(
                    path: path, key: key,
                    problem:
                        "does not exist, nor does \(source), which the unit's LoadCredential= hands over there; "
                        + "write the secret into \(source) (chmod 600)")
            }
            do throws(SecretFileError) { return try readFile(source, key: key) } catch {
                var error = error
                error.problem += " (handed over as \(path) by LoadCredential=)"
                error.unreadableCredentialSource = error.path == source && error.problem.hasPrefix("cannot open")
                throw error
            }
        }
        return try readFile(path, key: key)
    }

    private static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    private static func readFile(_ path: String, key: String) throws(SecretFileError) -> [UInt8] {
        func refuse(_ problem: String) -> SecretFileError { SecretFileError(path: path, key: key, problem: problem) }
        var info = stat()
        guard stat(path, &info) == 0 else { throw refuse("cannot read: \(String(cString: strerror(errno)))") }
        // Checked before any open: opening a FIFO would wait for a writer.
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw refuse("is a directory; name the file that holds the secret")
        case S_IFIFO: throw refuse("is a FIFO (named pipe); a secret must be a regular file")
        default: throw refuse("is not a regular file; a secret must be a regular file")
        }
        if info.st_mode & S_IROTH != 0 {
            throw refuse("is readable by every user on the box; make it private with chmod 600 (or 640 for a group)")
        }
        if info.st_size > maximumBytes {
            throw refuse("holds \(info.st_size) bytes, more than the 64 KiB a secret may; a secret is one line")
        }
        if info.st_size == 0 { throw refuse("is empty; write the secret into it (one line)") }
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == EACCES { throw refuse("cannot open: permission denied") }
            throw refuse("cannot read: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var bytes = [UInt8](repeating: 0, count: maximumBytes + 1)
        var count = 0
        while count < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress! + count, $0.count - count) }
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else { throw refuse("cannot read: \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            count += n
        }
        guard count <= maximumBytes else {
            throw refuse("holds more than the 64 KiB a secret may; a secret is one line")
        }
        bytes.removeSubrange(count...)
        while let last = bytes.last, last == 0x0A || last == 0x0D || last == 0x20 || last == 0x09 { bytes.removeLast() }
        guard !bytes.isEmpty else {
            throw refuse("is empty; write the secret into it (one line)")
        }
        if bytes.contains(0x0A) || bytes.contains(0x0D) {
            throw refuse("has more than one line; a secret is one line (a trailing newline is fine)")
        }
        return bytes
    }

    /// `user:password` (an account SID and auth token) on the file's one line.
    public static func credentials(
        _ path: String, key: String, credentialSources: String = Secrets.credentialSources
    ) throws(SecretFileError) -> (user: String, password: String) {
        let line = String(decoding: try read(path, key: key, credentialSources: credentialSources), as: UTF8.self)
        guard let colon = line.firstIndex(of: ":"), colon != line.startIndex else {
            throw SecretFileError(path: path, key: key, problem: "must hold user:password on one line")
        }
        return (String(line[..<colon]), String(line[line.index(after: colon)...]))
    }

    /// What `check-config` and `run` check before they start: `read` (or
    /// `credentials`), except that a root-only file behind
    /// `/run/credentials/picket.service/`, which systemd reads for the
    /// service, is checked as far as `stat` tells (type, mode, size) when
    /// this user (`sudo -u picket picket check-config`) cannot open it.
    public static func check(
        _ path: String, key: String, credentials isCredentials: Bool,
        credentialSources: String = Secrets.credentialSources
    ) throws(SecretFileError) {
        do throws(SecretFileError) {
            if isCredentials {
                _ = try credentials(path, key: key, credentialSources: credentialSources)
            } else {
                _ = try read(path, key: key, credentialSources: credentialSources)
            }
        } catch {
            // systemd reads it for the service; stat has told what it can.
            guard error.unreadableCredentialSource else { throw error }
        }
    }

    /// A `ca_file` the TLS client will load: a readable, non-empty regular file.
    public static func checkCertificates(_ path: String, key: String) throws(SecretFileError) {
        func refuse(_ problem: String) -> SecretFileError { SecretFileError(path: path, key: key, problem: problem) }
        var info = stat()
        guard stat(path, &info) == 0 else { throw refuse("cannot read: \(String(cString: strerror(errno)))") }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw refuse("is not a regular file; name the PEM file of the CA certificates to trust")
        }
        guard access(path, R_OK) == 0 else { throw refuse("cannot read: \(String(cString: strerror(errno)))") }
        guard info.st_size > 0 else { throw refuse("is empty; it must hold PEM certificates") }
    }
}
