import Foundation
import Glibc
import PicketCore
import PicketTestSupport
import Testing

@testable import PicketHardware

/// The real libgpiod, 1 and 2, on a simulated chip (the kernel's gpio-sim,
/// configured through configfs): no such line, a chip by its label, real
/// edges, a busy line. Needs root and `modprobe gpio-sim`; this build
/// machine's kernel has neither GPIO nor configfs, so here it is skipped
/// (the error paths without a chip run in `LibgpiodBackendTests`).
@Suite(.serialized) struct LibgpiodSimTests {
    static let configfs = "/sys/kernel/config/gpio-sim"
    static var available: Bool { geteuid() == 0 && FileManager.default.fileExists(atPath: configfs) }

    /// One simulated chip of 8 lines, labelled `picket-sim`, removed at the end.
    final class SimChip {
        let device: String
        let chipName: String
        let sysfs: String

        init() throws {
            device = "\(LibgpiodSimTests.configfs)/picket-\(getpid())"
            try FileManager.default.createDirectory(atPath: "\(device)/bank0", withIntermediateDirectories: true)
            try "8".write(toFile: "\(device)/bank0/num_lines", atomically: false, encoding: .utf8)
            try "picket-sim".write(toFile: "\(device)/bank0/label", atomically: false, encoding: .utf8)
            try "1".write(toFile: "\(device)/live", atomically: false, encoding: .utf8)
            chipName = try String(contentsOfFile: "\(device)/bank0/chip_name", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let devName = try String(contentsOfFile: "\(device)/dev_name", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            sysfs = "/sys/devices/platform/\(devName)/\(chipName)"
        }

        func pull(_ line: Int, up: Bool) throws {
            try (up ? "pull-up" : "pull-down").write(
                toFile: "\(sysfs)/sim_gpio\(line)/pull", atomically: false, encoding: .utf8)
        }

        deinit {
            try? "0".write(toFile: "\(device)/live", atomically: false, encoding: .utf8)
            rmdir("\(device)/bank0")
            rmdir(device)
        }
    }

    static var libraries: [String] { LibgpiodBackendTests.libraries.map(\.path) }

    @Test(
        .enabled(if: available, "needs root and the gpio-sim module with configfs (modprobe gpio-sim)"),
        arguments: libraries)
    func aSimulatedChipThroughTheRealLibrary(library: String) async throws {
        let sim = try SimChip()
        let backend = LibgpiodBackend(libraryPath: library)
        func line(_ offset: Int, chip: String) -> GPIOLineConfig {
            GPIODriverTests.line(offset, "pir-1", chip: chip)
        }
        #expect(throws: GPIORequestError(chip: sim.chipName, line: 9, reason: .noSuchLine(lines: 8))) {
            _ = try backend.request(line(9, chip: sim.chipName), mode: .edges, consumer: "picket-test")
        }
        #expect(backend.chips().contains { $0.label == "picket-sim" && $0.lines == 8 })

        // By label; the line's edges come through.
        let held = try backend.request(line(3, chip: "picket-sim"), mode: .edges, consumer: "picket-test")
        defer { held.release() }
        #expect(held.info.chipLabel == "picket-sim")
        #expect(held.info.chipPath == "/dev/\(sim.chipName)")
        #expect(held.eventFD >= 0)
        try sim.pull(3, up: true)
        var buffer = [GPIOKernelEvent](repeating: .init(timestampNs: 0, rising: false), count: 16)
        var read = 0
        try await eventually("the rising edge") {
            read += try held.readEvents(into: &buffer)
            return read >= 1
        }
        #expect(buffer[0].rising)
        #expect(try held.logicalValue())

        // Held: a second request is busy, naming who holds it.
        #expect(throws: GPIORequestError(chip: sim.chipName, line: 3, reason: .busy(consumer: "picket-test"))) {
            _ = try backend.request(line(3, chip: sim.chipName), mode: .edges, consumer: "other")
        }
        // A plain input for sampling (poll_ms) has no event descriptor.
        let polled = try backend.request(line(4, chip: sim.chipName), mode: .values, consumer: "picket-test")
        defer { polled.release() }
        #expect(polled.eventFD == -1)
        try sim.pull(4, up: true)
        try await eventually("the sampled value") { try polled.logicalValue() }
    }
}
