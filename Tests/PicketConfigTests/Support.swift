import Foundation
import PicketConfig
import PicketCore
import Testing

/// The problem lines a configuration produces; records an issue when it
/// loads, since every caller expects it to be rejected.
func problems(_ yaml: String, sourceLocation: SourceLocation = #_sourceLocation) -> [String] {
    do throws(ConfigError) {
        _ = try ConfigLoader.parse(yaml: yaml, file: "test.yaml")
        Issue.record("the configuration loaded, but problems were expected", sourceLocation: sourceLocation)
        return []
    } catch {
        return error.problems.map(\.description)
    }
}

/// The configuration `yaml` describes; records the problems as the issue
/// when it does not load, so a failing test shows them.
func configuration(_ yaml: String, sourceLocation: SourceLocation = #_sourceLocation) -> PicketConfiguration? {
    do throws(ConfigError) {
        return try ConfigLoader.parse(yaml: yaml, file: "test.yaml")
    } catch {
        Issue.record("unexpected problems:\n\(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Sensors for rule and subscriber tests, nine lines long so the lines of
/// whatever follows are easy to count: line 10 is the first line appended.
let sensorsPrefix = """
    box: b
    sector: s
    gpio:
      - {chip: gpiochip0, line: 17, sensor: pir-1, kind: pir, zone: north}
      - {chip: gpiochip0, line: 22, sensor: beam-s, kind: beam, zone: north}
      - {chip: gpiochip0, line: 23, sensor: beam-n, kind: beam, zone: north}
    sensors:
      - {id: seis-7, kind: seismic, zone: north}
      - {id: seis-8, kind: seismic, zone: ford}

    """

/// The package's root directory, found from this file so tests can read
/// `Config/` wherever the checkout is.
let packageRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()
    .deletingLastPathComponent()
    .deletingLastPathComponent()

/// A fresh directory per test, removed by the caller's `defer`.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("picket-config-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
