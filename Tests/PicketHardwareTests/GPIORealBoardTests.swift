import Foundation
import Glibc
import PicketCore
import PicketTestSupport
import Testing

@testable import PicketHardware

/// What real boards do to the GPIO driver, through the fake backend: lines
/// without interrupts, polling, storms, lines that break as soon as they are
/// requested, the Pi 5's chip numbering.
@Suite struct GPIORealBoardTests {
    typealias Harness = GPIODriverTests.Harness

    /// A line that cannot raise interrupts says so and names the fix,
    /// logged once however often it is retried.
    @Test func aLineWithoutInterruptAsksForPollMs() async throws {
        let h = Harness()
        h.backend.withoutInterrupt("gpiochip0", 17)
        try await h.running(h.driver([GPIODriverTests.line(17, "pir-1")])) {
            try await eventually("retries") { h.backend.requests("gpiochip0", 17) >= 4 }
            let down = h.health.statuses.filter { !$0.healthy }
            #expect(down.count == 1)
            #expect(down.first?.detail == "gpiochip0 line 17: line has no interrupt; set gpio[].poll_ms to sample it")
            #expect(h.log.all.count { $0.message == "GPIO line unavailable, retrying" } == 1)
        }
    }

    /// `poll_ms`: the line is requested for its values and sampled; each
    /// change is an edge at the sample's time, through the same sink.
    @Test func aPolledLineTurnsChangesIntoEdges() async throws {
        let h = Harness()
        h.backend.withoutInterrupt("gpiochip0", 5)
        let driver = h.driver([GPIODriverTests.line(5, "beam-x", active: .low, pollMs: 5)])
        try await h.running(driver) {
            try await h.waitHealthy(1)
            #expect(h.backend.modes("gpiochip0", 5) == [.values])
            #expect(h.health.statuses[0].detail == "gpiochip0 line 5 \"GPIO5\": sampled every 5 ms, active low")
            // Logical 1 = beam broken = the wire low.
            let before = h.mapping.now()
            h.backend.setValue("gpiochip0", 5, true)
            try await eventually("the falling edge") { h.sink.edges.count == 1 }
            let after = h.mapping.now()
            #expect(h.sink.edges[0].rising == false)
            #expect(h.sink.edges[0].t >= before && h.sink.edges[0].t <= after)
            h.backend.setValue("gpiochip0", 5, false)
            try await eventually("the rising edge") { h.sink.edges.count == 2 }
            #expect(h.sink.edges[1].rising == true)
            #expect(h.sink.edges.allSatisfy { $0.line == 0 })
            // Unchanged values are no edges.
            try await Task.sleep(for: .milliseconds(50))
            #expect(h.sink.edges.count == 2)
            #expect(driver.syntheticEdges == 0)
        }
    }

    /// A floating input: more edges in a second than the limit releases the
    /// line, says why, and requests it again after the pause.
    @Test func aStormReleasesTheLineForAWhile() async throws {
        let h = Harness()
        let driver = h.driver(
            [GPIODriverTests.line(17, "pir-1")],
            storm: GPIOStormLimit(edgesPerSecond: 10, releaseNs: 200_000_000))
        try await h.running(driver) {
            try await h.waitHealthy(1)
            let t0 = SystemClock().monotonicNs()
            h.backend.emit(
                "gpiochip0", 17, (0..<16).map { GPIOKernelEvent(timestampNs: t0 + Int64($0), rising: $0 % 2 == 0) })
            try await eventually("released") { h.health.statuses.contains { !$0.healthy } }
            let down = h.health.statuses.first { !$0.healthy }
            #expect(
                down?.detail
                    == "gpiochip0 line 17: 16 edges in 1 s, more than 10: released for 200 ms (floating input? check the pull resistor)"
            )
            #expect(driver.stormReleaseCount == 1)
            try await h.waitHealthy(2)
            #expect(h.backend.requests("gpiochip0", 17) == 2)
            #expect(h.log.all.contains { $0.message == "GPIO line back" })
        }
    }

    /// A line that requests fine and breaks at once: its backoff keeps
    /// growing (it worked less than a minute each time), the failure is
    /// logged once, not at every cycle, and its status stays unhealthy
    /// instead of flipping at every request.
    @Test func aFlappingLineBacksOffAndLogsOnce() async throws {
        let h = Harness()
        h.backend.flap("gpiochip0", 17, errno: EIO)
        try await h.running(h.driver([GPIODriverTests.line(17, "pir-1")])) {
            try await eventually("six requests") { h.backend.requests("gpiochip0", 17) >= 6 }
        }
        #expect(h.health.statuses.map(\.healthy) == [true, false])
        let times = h.backend.requestTimes("gpiochip0", 17)
        // Attempt k waits at least half of min(10 ms * 2^k, 50 ms): the fifth
        // retry at least 25 ms, where a backoff reset at every request would
        // wait 5 to 10 ms.
        let policy = GPIODriverTests.fastRetry
        #expect(times[5] - times[4] >= policy.ceiling(attempt: 4) / 2)
        #expect(h.log.all.count { $0.message == "GPIO line lost, requesting it again" } == 1)
        #expect(h.log.all.count { $0.message == "GPIO line back" } == 0)
    }

    /// Once a flapping line keeps working for `confirmNs`, it is healthy again.
    @Test func aFlappingLineThatSettlesIsHealthyAgain() async throws {
        let h = Harness()
        h.backend.flap("gpiochip0", 17, errno: EIO)
        try await h.running(h.driver([GPIODriverTests.line(17, "pir-1")], confirmNs: 100_000_000)) {
            try await eventually("three requests") { h.backend.requests("gpiochip0", 17) >= 3 }
            h.backend.flap("gpiochip0", 17, errno: nil)
            try await h.waitHealthy(2)
            #expect(h.health.statuses.map(\.healthy) == [true, false, true])
            #expect(h.log.all.count { $0.message == "GPIO line back" } == 1)
        }
    }

    /// The healthy detail says a bias is requested, not that it is applied.
    @Test func aBiasIsReportedAsRequested() async throws {
        let h = Harness()
        try await h.running(h.driver([GPIODriverTests.line(22, "beam-s", active: .low, bias: .pullUp)])) {
            try await h.waitHealthy(1)
            #expect(
                h.health.statuses[0].detail
                    == "gpiochip0 line 22 \"GPIO22\": requested for both edges, active low, bias pull-up requested (not confirmed)"
            )
        }
    }

    /// Each chip is logged once with its label and path; a Pi 5 whose
    /// `gpiochip0` is not the header gets a warning naming the label to use.
    @Test func theChipIsLoggedAndAWrongHeaderChipIsNamed() async throws {
        let h = Harness()
        h.backend.setChips([
            GPIOChipInfo(path: "/dev/gpiochip0", label: "fake-gpiochip0", lines: 32),
            GPIOChipInfo(path: "/dev/gpiochip4", label: "pinctrl-rp1", lines: 54),
        ])
        try await h.running(h.driver([GPIODriverTests.line(17, "pir-1"), GPIODriverTests.line(22, "pir-2")])) {
            try await h.waitHealthy(2)
        }
        #expect(h.log.all.count { $0.message == "GPIO chip" } == 1)
        let warnings = h.log.all.filter { $0.level == .warning }.map(\.message)
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains("set chip: pinctrl-rp1") == true)
    }
}

/// The pure parts: what a failed request means, the header check, the storm meter.
@Suite struct GPIODiagnosisTests {
    static let error = SystemError(call: "gpiod_line_request_both_edges_events_flags", subject: "s", errno: EINVAL)

    @Test func anEdgeRequestRefusedWhereAPlainInputWorksIsALineWithoutInterrupt() {
        for errno in [EINVAL, ENODEV, ENXIO, EOPNOTSUPP] {
            let reason = GPIORequestError.Reason.diagnose(
                SystemError(call: "c", subject: "s", errno: errno), mode: .edges, bias: .asIs,
                chipPath: "/dev/gpiochip0",
                probe: { _ in true }, consumer: { nil })
            #expect(reason == .noInterrupt, "errno \(errno)")
        }
    }

    /// Linux before 5.5 refuses every bias: the request works only without one.
    @Test func aRequestThatWorksOnlyWithoutBiasIsARefusedBias() {
        let reason = GPIORequestError.Reason.diagnose(
            Self.error, mode: .edges, bias: .pullUp, chipPath: "/dev/gpiochip0", probe: { $0 == .asIs },
            consumer: { nil })
        #expect(reason == .biasRefused(bias: .pullUp, errno: EINVAL))
        let message = GPIORequestError(chip: "gpiochip0", line: 22, reason: reason).description
        #expect(message.hasPrefix("gpiochip0 line 22: bias pull-up refused"))
        #expect(message.contains("Linux 5.5 or later"))
        #expect(message.contains("external pull resistor"))
    }

    @Test func otherFailuresStayWhatTheyAre() {
        #expect(
            GPIORequestError.Reason.diagnose(
                Self.error, mode: .edges, bias: .asIs, chipPath: "/dev/gpiochip0", probe: { _ in false },
                consumer: { nil }) == .failed(Self.error))
        let busy = SystemError(call: "c", subject: "s", errno: EBUSY)
        #expect(
            GPIORequestError.Reason.diagnose(
                busy, mode: .edges, bias: .asIs, chipPath: "/dev/gpiochip0", probe: { _ in true },
                consumer: { "gpiomon" }) == .busy(consumer: "gpiomon"))
    }

    /// Permission denied names the node's group and mode, read with stat,
    /// and the user to add to it.
    @Test func permissionDeniedNamesTheGroupToJoin() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let node = dir.appendingPathComponent("gpiochip0").path
        #expect(FileManager.default.createFile(atPath: node, contents: nil))
        let group = try #require(getgrnam("dialout") ?? getgrnam("daemon") ?? getgrnam("root"))
        let groupName = String(cString: group.pointee.gr_name)
        #expect(chown(node, geteuid(), group.pointee.gr_gid) == 0)
        #expect(chmod(node, 0o660) == 0)
        let user = String(cString: getpwuid(geteuid()).pointee.pw_name)
        let reason = GPIORequestError.Reason.diagnose(
            SystemError(call: "gpiod_chip_open", subject: node, errno: EACCES), mode: .edges, bias: .asIs,
            chipPath: node, probe: { _ in true }, consumer: { nil })
        #expect(
            GPIORequestError(chip: "gpiochip0", line: 17, reason: reason).description
                == "gpiochip0 line 17: permission denied: \(node) is group \(groupName) mode 0660; add user \(user) to group \(groupName) (or install Hardware/udev/60-picket.rules)"
        )
        #expect(GPIORequestError.Reason.opening(node, SystemError(call: "c", subject: node, errno: EPERM)) == reason)
    }

    @Test func aPi5WithAnOldKernelIsToldTheHeaderLabel() {
        let chips = [
            GPIOChipInfo(path: "/dev/gpiochip0", label: "gpio-brcmstb@107d508500", lines: 32),
            GPIOChipInfo(path: "/dev/gpiochip4", label: "pinctrl-rp1", lines: 54),
        ]
        let warning = GPIOHeaderCheck.warning(
            configuredChip: "gpiochip0", label: "gpio-brcmstb@107d508500", chips: chips)
        #expect(warning?.contains("gpiochip4 \"pinctrl-rp1\"") == true)
        #expect(warning?.contains("set chip: pinctrl-rp1") == true)
        // The right chip, another chip, a board without a Pi header: nothing to say.
        #expect(GPIOHeaderCheck.warning(configuredChip: "gpiochip0", label: "pinctrl-rp1", chips: chips) == nil)
        #expect(GPIOHeaderCheck.warning(configuredChip: "gpiochip4", label: "pinctrl-rp1", chips: chips) == nil)
        #expect(
            GPIOHeaderCheck.warning(
                configuredChip: "gpiochip0", label: "INT3450:00",
                chips: [GPIOChipInfo(path: "/dev/gpiochip0", label: "INT3450:00", lines: 8)]) == nil)
    }

    @Test func theStormMeterCountsPerSecond() {
        var meter = GPIOStormMeter(limit: 10)
        #expect(meter.count(6, now: 0) == nil)
        #expect(meter.count(4, now: 500_000_000) == nil)
        #expect(meter.count(1, now: 900_000_000) == 11)
        // A new second starts afresh.
        #expect(meter.count(10, now: 1_000_000_000) == nil)
        meter.reset()
        #expect(meter.count(11, now: 1_100_000_000) == 11)
        #expect(GPIOStormLimit.grouped(12345) == "12,345")
        #expect(GPIOStormLimit.grouped(500) == "500")
        #expect(GPIOStormLimit.grouped(1_234_567) == "1,234,567")
        #expect(
            GPIOStormLimit.default.detail(subject: "gpiochip0 line 17", edges: 12345)
                == "gpiochip0 line 17: 12,345 edges in 1 s, more than 500: released for 30 s (floating input? check the pull resistor)"
        )
    }
}
