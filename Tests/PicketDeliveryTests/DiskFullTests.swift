import Foundation
import PicketStore
import PicketTestSupport
import Testing

/// The database on a small tmpfs that fills up under a running daemon:
/// freeing a megabyte brings commits back, with every input that came
/// meanwhile stored, in order.
@Suite struct DiskFullTests {
    /// Mounting needs root (CI runs as root); elsewhere the test is skipped
    /// and says why.
    static let canMount: Bool = {
        guard getuid() == 0 else { return false }
        let probe = FileManager.default.temporaryDirectory.appendingPathComponent("picket-mount-probe-\(getpid())")
        try? FileManager.default.createDirectory(at: probe, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: probe) }
        guard mount("tmpfs", probe.path, "tmpfs", 0, "size=64k") == 0 else { return false }
        umount(probe.path)
        return true
    }()

    /// Writes filler files of 256 KiB until the file system is full; returns them.
    static func fill(_ dir: URL) -> [URL] {
        var files: [URL] = []
        let chunk = [UInt8](repeating: 0x55, count: 256 * 1024)
        while true {
            let url = dir.appendingPathComponent("filler-\(files.count)")
            let fd = open(url.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            guard fd >= 0 else { break }
            let written = chunk.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            close(fd)
            files.append(url)
            if written < chunk.count { break }
        }
        return files
    }

    @Test(.enabled(if: canMount, "mounting a tmpfs needs root; skipped"))
    func freeingAMegabyteBringsCommitsBackWithNothingLost() async throws {
        let f = try Fixture()
        let small = f.dir.appendingPathComponent("small")
        try FileManager.default.createDirectory(at: small, withIntermediateDirectories: true)
        #expect(mount("tmpfs", small.path, "tmpfs", 0, "size=3m") == 0)
        defer { umount2(small.path, Int32(MNT_DETACH)) }
        let db = small.appendingPathComponent("picket.db").path
        let pty = try PseudoTerminal()
        let (child, base) = try await IdleAndHealthTests.startBox(
            f, pty, db: db,
            yaml: """
                box: full-01
                sector: test
                serial:
                  - {port: \(pty.slavePath), baud: 9600, protocol: nmea}
                sensors:
                  - {id: seis-7, kind: seismic, zone: north-fork}
                """)

        func stored() async throws -> [String] {
            try await DeliveryCLITests.picket(["events", "--db", db, "--json"]).out.split(separator: "\n")
                .map(String.init)
        }
        for seq in 1...50 { try pty.write(detectionFrame("seis-7", seq: seq)) }
        var before: [String] = []
        for _ in 0..<60 where before.count < 50 {
            try await Task.sleep(for: .milliseconds(500))
            before = try await stored()
        }
        #expect(before.count == 50, "\(child.stderr)")

        try await Task.sleep(for: .seconds(1.5))
        let inputsBefore =
            MetricsEndpointTests.parse(try await MetricsEndpointTests.get(base + "/metrics").body)[
                "picket_inputs_total"] ?? 0
        // Full: what comes now waits in memory.
        let fillers = Self.fill(small)
        #expect(!fillers.isEmpty)
        for seq in 51...650 { try pty.write(detectionFrame("seis-7", seq: seq)) }
        try await child.waitForLog("cannot commit to the store")

        // The pages answer during the stall, with current figures: the
        // inputs are counted, the backlog shows, /healthz names the store,
        // and the daemon is still alive (a restart would not mend a full disk).
        var figures: [String: Double] = [:]
        for _ in 0..<40 {
            figures = MetricsEndpointTests.parse(try await MetricsEndpointTests.get(base + "/metrics").body)
            if (figures["picket_store_backlog_events"] ?? 0) >= 600 { break }
            try await Task.sleep(for: .milliseconds(250))
        }
        #expect((figures["picket_inputs_total"] ?? 0) > inputsBefore, "\(figures)")
        #expect((figures["picket_store_backlog_events"] ?? 0) >= 600, "\(figures)")
        let health = try await MetricsEndpointTests.get(base + "/healthz")
        #expect(health.status == 503)
        #expect(health.body.contains("store: cannot commit"), "\(health.body)")
        #expect(try await MetricsEndpointTests.get(base + "/livez").status == 200)

        // A megabyte back: the backlog goes in within seconds, in order.
        for file in fillers.suffix(4) { try FileManager.default.removeItem(at: file) }
        var after: [String] = []
        for _ in 0..<60 where after.count < 650 {
            try await Task.sleep(for: .milliseconds(500))
            after = (try? await stored()) ?? []
        }
        #expect(after.count == 650, "\(child.stderr)")
        #expect(child.stderr.contains("store writable again"), "\(child.stderr)")
        // Stored in the order they came: the rows' storage order is time order.
        let store = try Store(path: db, create: false, readOnly: true)
        let rows = try store.database.statement("SELECT ts FROM events ORDER BY seq")
        var times: [Int64] = []
        while try rows.step() { times.append(rows.int64(0)) }
        rows.reset()
        #expect(times.count == 650)
        #expect(times == times.sorted())
        // The failures were logged once, not at every retry.
        let lines = child.stderr.split(separator: "\n").filter { $0.contains("cannot commit to the store") }
        #expect(lines.count <= 2, "\(lines)")
        #expect(try await child.stop() == 0, "\(child.stderr)")
    }
}
