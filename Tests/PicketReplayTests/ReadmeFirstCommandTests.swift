import Foundation
import PicketTestSupport
import Testing

/// The README's first command is what a new user pastes first. On a minimal
/// Debian image a root shell has no `sudo`: the line must work there and in
/// a user's shell with `sudo` alike. Run with stand-ins for `apt-get`,
/// `swift` and `sudo` that only log how they were called.
@Suite struct ReadmeFirstCommandTests {
    /// The first line of the README's first `sh` block.
    static func firstCommand() throws -> String {
        let readme = try String(contentsOf: Support.root.appendingPathComponent("README.md"), encoding: .utf8)
        let block = try #require(readme.range(of: "```sh\n"))
        return String(try #require(readme[block.upperBound...].split(separator: "\n").first))
    }

    /// Runs `line` with only the stand-ins on PATH; returns the exit status and their log.
    static func run(_ line: String, withSudo: Bool) throws -> (status: Int32, log: String) {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("log").path
        var tools = ["apt-get", "swift"]
        if withSudo { tools.append("sudo") }
        for tool in tools {
            let script = dir.appendingPathComponent(tool).path
            let body =
                tool == "sudo"
                ? "#!/bin/sh\necho \"sudo $*\" >> '\(log)'\nexec \"$@\"\n"
                : "#!/bin/sh\necho \"\(tool) $*\" >> '\(log)'\n"
            try body.write(toFile: script, atomically: true, encoding: .utf8)
            chmod(script, 0o755)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", line]
        process.environment = ["PATH": dir.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return (process.terminationStatus, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }

    @Test("the first command runs in a root shell without sudo")
    func withoutSudo() throws {
        let (status, log) = try Self.run(try Self.firstCommand(), withSudo: false)
        #expect(status == 0, "\(log)")
        let lines = log.split(separator: "\n")
        #expect(lines.first == "apt-get update", "\(log)")
        #expect(lines.dropFirst().first?.hasPrefix("apt-get install -y libsqlite3-dev") == true, "\(log)")
        #expect(lines.last == "swift run picket run --simulate", "\(log)")
    }

    @Test("the first command installs through sudo where there is one")
    func withSudo() throws {
        let (status, log) = try Self.run(try Self.firstCommand(), withSudo: true)
        #expect(status == 0, "\(log)")
        let lines = log.split(separator: "\n")
        #expect(lines.first == "sudo apt-get update", "\(log)")
        #expect(lines.contains("apt-get update"), "\(log)")
        #expect(lines.contains { $0.hasPrefix("sudo apt-get install -y") }, "\(log)")
        #expect(lines.last == "swift run picket run --simulate", "\(log)")
    }
}
