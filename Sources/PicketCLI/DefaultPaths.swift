import Foundation
import PicketCore

/// Where the database lives when no `--db` is given.
///
/// In order: the configuration's `storage.path`; `$STATE_DIRECTORY/picket.db`
/// (systemd's `StateDirectory=`); `/var/lib/picket/picket.db` for root; and
/// for anyone else `$XDG_STATE_HOME/picket/picket.db` (by default
/// `~/.local/state/picket/picket.db`), so a developer's `picket run
/// --simulate` and `picket events` find the same file without root.
public enum DefaultPaths {
    public static func database(explicit: String?, configuration: PicketConfiguration? = nil) -> String {
        if let explicit { return explicit }
        if let path = configuration?.storagePath { return path }
        let env = ProcessInfo.processInfo.environment
        if let state = env["STATE_DIRECTORY"]?.split(separator: ":").first, !state.isEmpty {
            return "\(state)/picket.db"
        }
        if getuid() == 0 { return "/var/lib/picket/picket.db" }
        let base = env["XDG_STATE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? "\(NSHomeDirectory())/.local/state"
        return "\(base)/picket/picket.db"
    }

    /// The configuration of a live box: `$CONFIGURATION_DIRECTORY/picket.yaml`
    /// (systemd's `ConfigurationDirectory=`), else `/etc/picket/picket.yaml`.
    public static var configuration: String {
        let env = ProcessInfo.processInfo.environment
        if let dir = env["CONFIGURATION_DIRECTORY"]?.split(separator: ":").first, !dir.isEmpty {
            return "\(dir)/picket.yaml"
        }
        return "/etc/picket/picket.yaml"
    }

    /// Creates the database's folder when it is missing.
    static func prepareDirectory(for path: String) throws {
        // By hand: NSString.deletingLastPathComponent traps on a one-character
        // path in swift-corelibs-foundation (`--db x`).
        guard let slash = path.lastIndex(of: "/") else { return }  // in the working directory
        let directory = slash == path.startIndex ? "/" : String(path[..<slash])
        guard !FileManager.default.fileExists(atPath: directory) else { return }
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
        } catch {
            throw CLIError(
                message: "\(directory): cannot create the database folder (\(error.localizedDescription)); pass --db",
                code: ExitStatus.ioError)
        }
    }
}
