import Foundation
import PicketTestSupport
import Testing

/// `picket run --simulate` on a configuration that gives the kit nothing to
/// play (no serial port, no GPIO sensor in a zone): it runs quietly and stops
/// at once on SIGTERM, instead of spinning a core until its clock overflowed.
@Suite struct SilentKitTests {
    @Test func aKitWithNothingToPlayRunsQuietlyAndStops() async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("silent.yaml").path
        try """
        box: b1
        sector: s1
        metrics: {listen: "off"}
        sensors:
          - {id: seis-7, kind: seismic}
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let child = try ChildProcess(
            Support.binary, ["run", "--simulate", "--config", config, "--db", dir.appendingPathComponent("s.db").path],
            log: dir.appendingPathComponent("run.log"))
        try await child.waitForLog("picket running")
        try await Task.sleep(for: .seconds(2))
        // Idle: a quarter of a core at most over the last two seconds would already be a spin.
        let stat = try String(contentsOfFile: "/proc/\(child.process.processIdentifier)/stat", encoding: .utf8)
        let fields = stat[stat.index(after: stat.lastIndex(of: ")")!)...].split(separator: " ")
        let ticks = (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0)
        #expect(ticks < 100, "\(ticks) ticks of CPU in about 3 s: the kit spins")
        #expect(try await child.stop() == 0, "\(child.stderr)")
        // `run` without --simulate refuses it (nothing to read), and so does check-config.
        let check = try await Support.picket(["check-config", config])
        #expect(check.status == 78)
        #expect(
            check.err.contains("\(config): the configuration has no gpio lines and no serial ports"), "\(check.err)")
    }
}
