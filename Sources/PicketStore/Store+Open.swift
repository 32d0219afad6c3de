import CSQLite
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What the file system says about a database path before SQLite opens it,
/// so a technician reads "is a directory", "permission denied" or
/// "read-only" naming the path instead of "SQLite error 14".
enum DatabasePath {
    /// The folder holding `path` (where SQLite creates `-wal` and `-shm`).
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// Why `path` cannot be read as a database, or nil. A missing file is
    /// `.missing` unless `create`.
    static func readProblem(_ path: String, create: Bool) -> StoreError? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let code = errno
            if code == ENOENT {
                return create ? nil : .missing(path: path)
            }
            if code == ENOTDIR {
                return .unusable(path: path, reason: "a part of the path is not a directory")
            }
            return .unusable(path: path, reason: reason(code))
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR:
            return .unusable(
                path: path, reason: "is a directory (--db names the database file, e.g. \(path)/picket.db)")
        default: return .unusable(path: path, reason: "is not a regular file")
        }
        if access(path, R_OK) != 0 {
            return .unusable(
                path: path,
                reason: "\(reason(errno)) (cannot read it: run as a user that may, e.g. with sudo, or copy the file)")
        }
        return nil
    }

    /// Why a database at `path` (which exists, or may be created) cannot be
    /// written, or nil.
    static func writeProblem(_ path: String) -> StoreError? {
        let folder = directory(of: path)
        if access(path, F_OK) == 0, access(path, W_OK) != 0 {
            return .readOnly(path: path, reason: writeReason(errno, what: "the file"))
        }
        // SQLite creates the database, its -wal and -shm beside it.
        if access(folder, W_OK | X_OK) != 0 {
            let code = errno
            if code == ENOENT || code == ENOTDIR {
                return .unusable(path: path, reason: "its folder \(folder) does not exist")
            }
            errno = code
            return .readOnly(path: path, reason: writeReason(errno, what: "its folder \(folder)"))
        }
        return nil
    }

    /// Whether a read-only connection must not look for the write-ahead
    /// log's files: they are missing and cannot be created (a copied SD card,
    /// a read-only mount), so nothing can write the file either.
    static func needsImmutable(_ path: String) -> Bool {
        let folder = directory(of: path)
        let walFilesExist = access(path + "-wal", F_OK) == 0 && access(path + "-shm", F_OK) == 0
        return !walFilesExist && access(folder, W_OK | X_OK) != 0
    }

    /// `path` as an SQLite URI that opens it read-only without a journal.
    static func immutableURI(_ path: String) -> String {
        var escaped = ""
        for character in path.unicodeScalars {
            switch character {
            case "%": escaped += "%25"
            case "?": escaped += "%3F"
            case "#": escaped += "%23"
            default: escaped.unicodeScalars.append(character)
            }
        }
        return "file:\(escaped)?mode=ro&immutable=1"
    }

    private static func reason(_ code: Int32) -> String {
        code == EACCES || code == EPERM ? "permission denied" : String(cString: strerror(code))
    }

    private static func writeReason(_ code: Int32, what: String) -> String {
        switch code {
        case EROFS: "read-only: \(what) is on a read-only file system (copy the database to a writable place)"
        case EACCES, EPERM:
            "read-only: permission denied for writing \(what) (run as the user picket runs as, e.g. with sudo)"
        default: "read-only: \(what) cannot be written (\(String(cString: strerror(code))))"
        }
    }
}

extension Store {
    /// Opens an existing database for the query commands: read-write where
    /// it may be written (so an old schema is migrated), read-only where not
    /// (a copied SD card, a read-only mount, another user's file).
    public static func openForReading(path: String) throws(StoreError) -> Store {
        if let problem = DatabasePath.readProblem(path, create: false) { throw problem }
        let writable = DatabasePath.writeProblem(path) == nil
        return try Store(path: path, create: false, readOnly: !writable)
    }
}
