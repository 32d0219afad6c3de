import Foundation
import PicketTestSupport
import Testing

/// install.sh installs shell completions and manual pages generated from the
/// argument parser of the binary it installs (issue 10), and `--uninstall`
/// removes them.
@Suite struct InstallManualTests {
    /// Runs install.sh with `arguments` into the staging root `root`.
    static func install(_ arguments: [String], into root: URL) async throws -> ProcessOutput {
        var environment = ProcessInfo.processInfo.environment
        environment["DESTDIR"] = root.path
        environment["PICKET_BINARY"] = Support.binary.path
        return try await runProcess(
            URL(fileURLWithPath: "/bin/bash"),
            [Support.root.appendingPathComponent("systemd/install.sh").path] + arguments,
            environment: environment)
    }

    @Test func completionsAndManualPagesComeFromTheArgumentParser() async throws {
        let root = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let installed = try await Self.install([], into: root)
        #expect(installed.status == 0, "\(installed.out)\(installed.err)")

        func text(_ path: String) throws -> String {
            try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
        }
        let completions = [
            "usr/share/bash-completion/completions/picket", "usr/share/zsh/vendor-completions/_picket",
            "usr/share/fish/vendor_completions.d/picket.fish",
        ]
        for path in completions {
            let script = try text(path)
            // fish spells an option without its dashes ('log-level=').
            for word in ["replay", "check-config", path.hasSuffix(".fish") ? "log-level" : "--log-level"] {
                #expect(script.contains(word), "\(path) lacks \(word)")
            }
        }
        // mdoc: `.It Fl -log-level Ar level` is printed as --log-level level.
        let manual = try text("usr/share/man/man1/picket.1")
        #expect(manual.contains(".Dt PICKET 1"))
        #expect(manual.contains(".Ss picket replay"), "\(manual)")
        #expect(manual.contains(".Ss picket check-config"))
        #expect(manual.contains(".It Fl -log-level Ar level"))
        #expect(manual.contains(".It Fl -since Ar since"))
        let replay = try text("usr/share/man/man1/picket-replay.1")
        #expect(replay.contains(".Nm picket replay"), "\(replay)")
        #expect(replay.contains("Fl -log-level"))
        #expect(try text("usr/share/man/man1/picket-check-config.1").contains("Fl -hardware"))
        // No line of prose may be read as a macro or an escape.
        for line in manual.split(separator: "\n") where !line.hasPrefix(".") {
            #expect(!line.hasPrefix("'"), "\(line)")
        }

        let removed = try await Self.install(["--uninstall"], into: root)
        #expect(removed.status == 0, "\(removed.err)")
        for path in completions + ["usr/share/man/man1/picket.1", "usr/share/man/man1/picket-replay.1"] {
            #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent(path).path), "\(path)")
        }
    }
}
