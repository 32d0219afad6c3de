import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A real PostgreSQL server for the tests: one cluster per test process,
/// started on first use (`initdb` into a temporary folder, `pg_ctl start`
/// on a free 127.0.0.1 port with its socket in that folder, trust
/// authentication for the superuser `picket`), shared by the tests, each of
/// which takes a fresh database (`makeDatabase()`); stopped with `pg_ctl
/// stop -m immediate` and removed when the process exits.
///
/// `initdb` and the server refuse to run as root: as root (CI) both run as
/// `nobody` through `runuser`, in a folder owned by `nobody`.
///
/// The server speaks TLS too (`ssl=on`, as Debian's default cluster), with
/// a certificate for `localhost` (not `127.0.0.1`) signed by a CA made for
/// the run (`caFile`), so tests can check every `sslmode`; URLs from
/// `makeDatabase` say `sslmode=disable`.
///
/// PostgreSQL is found in `PICKET_POSTGRES_BIN` (a folder with `initdb`,
/// `pg_ctl` and `createdb`), else `/usr/lib/postgresql/15/bin`. When it is
/// missing the tests that need it fail saying to install `postgresql-15`,
/// unless `PICKET_SKIP_POSTGRES_TESTS=1`, which leaves them out.
public final class PostgresTestServer: Sendable {
    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String
    }

    public static let superuser = "picket"
    public static let defaultBin = "/usr/lib/postgresql/15/bin"

    /// `PICKET_SKIP_POSTGRES_TESTS` is set (to anything but 0 or empty).
    public static var skipped: Bool {
        let value = ProcessInfo.processInfo.environment["PICKET_SKIP_POSTGRES_TESTS"] ?? ""
        return !value.isEmpty && value != "0"
    }

    public let folder: URL
    public let port: Int
    public let bin: URL

    /// The socket folder (`?host=` in a URL).
    public var socketFolder: String { folder.path }

    /// The PEM certificate of the CA that signed the server's certificate
    /// (for `sslrootcert`).
    public var caFile: String { folder.appendingPathComponent("ca.pem").path }

    private init(folder: URL, port: Int, bin: URL) {
        self.folder = folder
        self.port = port
        self.bin = bin
    }

    private static let starting = Mutex<Task<PostgresTestServer, any Error>?>(nil)

    /// The process's server, started on the first call.
    public static func shared() async throws -> PostgresTestServer {
        let task = starting.withLock { task in
            if let task { return task }
            let started = Task { try await start() }
            task = started
            return started
        }
        return try await task.value
    }

    /// A new empty database on the shared server, as a URL for
    /// `database.url` (over TCP, or over the Unix socket with `socket`).
    public static func makeDatabase(socket: Bool = false) async throws -> String {
        let server = try await shared()
        let name = "t" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let made = try await runProcess(
            server.bin.appendingPathComponent("createdb"),
            ["-h", "127.0.0.1", "-p", String(server.port), "-U", superuser, name])
        guard made.status == 0 else {
            throw Unavailable(description: "createdb \(name) on 127.0.0.1:\(server.port) failed: \(made.err)")
        }
        return socket
            ? "postgres://\(superuser)@/\(name)?host=\(server.socketFolder)&port=\(server.port)"
            : "postgres://\(superuser)@127.0.0.1:\(server.port)/\(name)?sslmode=disable"
    }

    /// Runs `sql` with `psql` in the database `url` names (as the
    /// superuser, over TCP); what it printed, unaligned, without headers.
    public static func psql(_ sql: String, url: String) async throws -> String {
        let server = try await shared()
        guard let slash = url.range(of: "/", options: .backwards) else {
            throw Unavailable(description: "\(url): no database name")
        }
        let database = url[slash.upperBound...].prefix { $0 != "?" }
        let ran = try await runProcess(
            server.bin.appendingPathComponent("psql"),
            [
                "-h", "127.0.0.1", "-p", String(server.port), "-U", superuser, "-d", String(database), "-X", "-q",
                "-t", "-A", "-v", "ON_ERROR_STOP=1", "-c", sql,
            ])
        guard ran.status == 0 else { throw Unavailable(description: "psql -c \(sql) failed: \(ran.err)") }
        return ran.out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func findBin() throws -> URL {
        let env = ProcessInfo.processInfo.environment["PICKET_POSTGRES_BIN"]
        let path = env.flatMap { $0.isEmpty ? nil : $0 } ?? defaultBin
        guard FileManager.default.isExecutableFile(atPath: "\(path)/initdb") else {
            throw Unavailable(
                description: "PostgreSQL is not installed: no \(path)/initdb. Install it (apt-get update && "
                    + "apt-get install -y postgresql-15), point PICKET_POSTGRES_BIN at its bin folder, or set "
                    + "PICKET_SKIP_POSTGRES_TESTS=1 to leave the PostgreSQL tests out")
        }
        return URL(fileURLWithPath: path)
    }

    /// A port the kernel says is free now (bound to 127.0.0.1, then closed).
    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Unavailable(description: "socket(): errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw Unavailable(description: "bind(127.0.0.1:0): errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// `command` as the user PostgreSQL runs as: `nobody` through `runuser`
    /// when this process is root, else directly.
    private static func asServerUser(_ command: URL, _ arguments: [String], in folder: URL) async throws
        -> ProcessOutput
    {
        if getuid() == 0 {
            return try await runProcess(
                URL(fileURLWithPath: "/usr/sbin/runuser"), ["-u", "nobody", "--", command.path] + arguments,
                in: folder)
        }
        return try await runProcess(command, arguments, in: folder)
    }

    private static func start() async throws -> PostgresTestServer {
        let bin = try findBin()
        // Short: a socket path must fit in 107 bytes.
        let folder = URL(fileURLWithPath: "/tmp/picket-pg-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        if getuid() == 0 {
            guard let nobody = getpwnam("nobody") else {
                throw Unavailable(description: "running as root and there is no user nobody to run PostgreSQL as")
            }
            guard chown(folder.path, nobody.pointee.pw_uid, nobody.pointee.pw_gid) == 0 else {
                throw Unavailable(description: "chown nobody \(folder.path): errno \(errno)")
            }
        }
        let data = folder.appendingPathComponent("data")
        let initdb = try await asServerUser(
            bin.appendingPathComponent("initdb"),
            ["-D", data.path, "-U", superuser, "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"],
            in: folder)
        guard initdb.status == 0 else {
            try? FileManager.default.removeItem(at: folder)
            throw Unavailable(description: "initdb -D \(data.path) failed (\(initdb.status)): \(initdb.err)")
        }
        try await makeCertificates(in: folder)
        var lastError = ""
        for _ in 0..<3 {
            let port = try freePort()
            let options = [
                "-p \(port)", "-k \(folder.path)", "-c listen_addresses=127.0.0.1", "-c fsync=off",
                "-c synchronous_commit=off", "-c full_page_writes=off", "-c max_connections=200", "-c ssl=on",
                "-c ssl_cert_file=\(folder.path)/server.crt", "-c ssl_key_file=\(folder.path)/server.key",
            ].joined(separator: " ")
            // The server outlives pg_ctl: it must not inherit a descriptor of this process (Foundation's
            // Process learns that a child ended when the last holder of one of them closes it), so bash
            // closes every descriptor above 2 before it runs pg_ctl.
            let started = try await asServerUser(
                URL(fileURLWithPath: "/bin/bash"),
                [
                    "-c",
                    "for fd in /proc/$$/fd/*; do fd=${fd##*/}; [ \"$fd\" -gt 2 ] && eval \"exec $fd>&-\"; done; "
                        + "exec \"$0\" \"$@\"",
                    bin.appendingPathComponent("pg_ctl").path, "-D", data.path, "-l",
                    folder.appendingPathComponent("server.log").path, "-o", options, "-w", "-t", "60", "start",
                ],
                in: folder)
            if started.status == 0 {
                let server = PostgresTestServer(folder: folder, port: port, bin: bin)
                running.withLock { $0 = (bin.path, data.path, folder.path) }
                atexit { PostgresTestServer.stopAtExit() }
                return server
            }
            let log = (try? String(contentsOf: folder.appendingPathComponent("server.log"), encoding: .utf8)) ?? ""
            lastError = "pg_ctl start on port \(port) failed (\(started.status)): \(started.err)\n\(log)"
        }
        try? FileManager.default.removeItem(at: folder)
        throw Unavailable(description: lastError)
    }

    /// A CA and a server certificate it signed for `localhost`, with
    /// `openssl`; the server's key readable by the server's user only.
    private static func makeCertificates(in folder: URL) async throws {
        let openssl = URL(fileURLWithPath: "/usr/bin/openssl")
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        let path = { (name: String) in folder.appendingPathComponent(name).path }
        try "subjectAltName=DNS:localhost\n".write(toFile: path("san.ext"), atomically: true, encoding: .utf8)
        for arguments in [
            ["req", "-x509"] + ec + [
                "-keyout", path("ca.key"), "-out", path("ca.pem"), "-days", "7", "-subj", "/CN=picket test CA",
            ],
            ["req"] + ec + ["-keyout", path("server.key"), "-out", path("server.csr"), "-subj", "/CN=localhost"],
            [
                "x509", "-req", "-in", path("server.csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"),
                "-CAcreateserial", "-out", path("server.crt"), "-days", "7", "-extfile", path("san.ext"),
            ],
        ] {
            let made = try await runProcess(openssl, arguments, in: folder)
            guard made.status == 0 else {
                throw Unavailable(description: "openssl \(arguments.joined(separator: " ")) failed: \(made.err)")
            }
        }
        chmod(path("server.key"), 0o600)
        if getuid() == 0, let nobody = getpwnam("nobody") {
            for file in ["server.key", "server.crt"] {
                guard chown(path(file), nobody.pointee.pw_uid, nobody.pointee.pw_gid) == 0 else {
                    throw Unavailable(description: "chown nobody \(path(file)): errno \(errno)")
                }
            }
        }
    }

    private static let running = Mutex<(bin: String, data: String, folder: String)?>(nil)

    /// `pg_ctl stop -m immediate`, then the folder goes.
    private static func stopAtExit() {
        guard let (bin, data, folder) = running.withLock({ $0 }) else { return }
        let process = Process()
        if getuid() == 0 {
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
            process.arguments = ["-u", "nobody", "--", "\(bin)/pg_ctl", "-D", data, "-m", "immediate", "stop"]
        } else {
            process.executableURL = URL(fileURLWithPath: "\(bin)/pg_ctl")
            process.arguments = ["-D", data, "-m", "immediate", "stop"]
        }
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        if (try? process.run()) != nil { process.waitUntilExit() }
        try? FileManager.default.removeItem(atPath: folder)
    }
}
