import Foundation
import PicketConfig
import PicketCore
import Testing

/// `ConfigLoader.load(path:)`: the two failures the command line tells
/// apart, missing input (66) and a bad configuration (78).
@Suite struct LoaderTests {
    /// The error `load(path:)` throws, or an issue when it succeeds.
    private func loadError(_ path: String) -> ConfigLoadError? {
        do throws(ConfigLoadError) {
            _ = try ConfigLoader.load(path: path)
            Issue.record("\(path) loaded, but an error was expected")
            return nil
        } catch {
            return error
        }
    }

    @Test func missingFileIsMissingFile() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("absent.yaml").path
        let error = loadError(path)
        guard case .missingFile(let reported, let reason) = error else {
            Issue.record("expected missingFile, got \(String(describing: error))")
            return
        }
        #expect(reported == path)
        #expect(reason == "no such file")
        #expect(error?.description == "\(path): cannot read the configuration: no such file")
    }

    @Test func directoryIsMissingFile() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        guard case .missingFile(_, let reason) = loadError(directory.path) else {
            Issue.record("expected missingFile")
            return
        }
        #expect(reason == "is a directory, not a file")
    }

    @Test func invalidFileIsInvalidAndNamesThePath() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("picket.yaml").path
        try "box: b\nsector: s\ngpio: 3\n".write(toFile: path, atomically: true, encoding: .utf8)
        let error = loadError(path)
        guard case .invalid(let configError) = error else {
            Issue.record("expected invalid, got \(String(describing: error))")
            return
        }
        #expect(configError.problems.map(\.file) == [path])
        #expect(error?.description == "\(path):3: gpio: must be a list of GPIO lines, not text")
    }

    @Test func fileThatIsNotUTF8IsInvalid() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("latin1.yaml").path
        try Data([0x62, 0x6F, 0x78, 0x3A, 0x20, 0x62, 0x0A, 0x73, 0x3A, 0x20, 0xE9, 0x0A]).write(
            to: URL(fileURLWithPath: path))
        #expect(
            loadError(path)?.description
                == "\(path):2: (document): is not UTF-8 text (the first byte that is not is at column 4)")
    }

    @Test func validFileLoads() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("picket.yaml").path
        try "box: b\nsector: s\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try ConfigLoader.load(path: path) == PicketConfiguration(box: "b", sector: "s"))
    }

    @Test func controlCharacterIsASyntaxErrorWithALine() {
        #expect(
            problems("box: b\nsector: s\u{7}\n")
                == ["test.yaml:2: (document): invalid YAML: control characters are not allowed"])
    }
}
