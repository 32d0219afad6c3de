import Foundation
import PicketCore
import PicketTestSupport
import Testing

@testable import PicketHardware

/// The real libgpiod, on what this machine can reach (it has no GPIO chip):
/// the error paths, against libgpiod 1 (the system's `libgpiod.so.2`, from
/// Debian 12's libgpiod2 package) and libgpiod 2 (`.build-libgpiod2/libgpiod.so.3`
/// at the repository root, built from source by `.ci/build-libgpiod2`).
@Suite struct LibgpiodBackendTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let v2Path = root.appendingPathComponent(".build-libgpiod2/libgpiod.so.3").path
    static let v1Path = "libgpiod.so.2"

    static var v1Available: Bool { dlopenWorks(v1Path) }
    static var v2Available: Bool { FileManager.default.fileExists(atPath: v2Path) }

    static func dlopenWorks(_ path: String) -> Bool {
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else { return false }
        dlclose(handle)
        return true
    }

    /// The libraries present here, with the API major each must load as.
    static var libraries: [(path: String, major: Int)] {
        var libraries: [(String, Int)] = []
        if v1Available { libraries.append((v1Path, 1)) }
        if v2Available { libraries.append((v2Path, 2)) }
        return libraries
    }

    static func request(_ library: String, chip: String, line: Int = 17) throws(GPIORequestError) {
        _ = try LibgpiodBackend(libraryPath: library).request(
            GPIODriverTests.line(line, "pir-1", chip: chip), mode: .edges, consumer: "picket-test")
    }

    @Test(
        .enabled(if: v1Available, "libgpiod 1 (libgpiod.so.2) is not installed: apt-get install libgpiod2"))
    func libgpiod1Loads() {
        let backend = LibgpiodBackend(libraryPath: Self.v1Path)
        #expect(backend.apiMajor == 1, "\(backend.libraryDescription)")
        #expect(backend.libraryDescription.hasPrefix("libgpiod 1."))
    }

    @Test(
        .enabled(
            if: v2Available,
            "libgpiod 2 not built: run .ci/build-libgpiod2 (compiles .build-libgpiod2/libgpiod.so.3 from the gpiod sdist)"
        ))
    func libgpiod2Loads() {
        let backend = LibgpiodBackend(libraryPath: Self.v2Path)
        #expect(backend.apiMajor == 2, "\(backend.libraryDescription)")
        #expect(backend.libraryDescription.hasPrefix("libgpiod 2."))
    }

    /// CI must test both majors; a developer machine may lack the v2 build,
    /// and says so above.
    @Test func atLeastOneLibgpiodIsHere() {
        #expect(!Self.libraries.isEmpty, "neither libgpiod.so.2 nor \(Self.v2Path)")
    }

    @Test(arguments: ["gpiochip9", "/dev/gpiochip9", "9", "no-such-label"])
    func aMissingChipIsNamedWithItsLine(chip: String) {
        for library in Self.libraries {
            #expect(throws: GPIORequestError(chip: chip, line: 17, reason: .noSuchChip), "libgpiod \(library.major)") {
                try Self.request(library.path, chip: chip)
            }
        }
        let message = GPIORequestError(chip: chip, line: 17, reason: .noSuchChip).description
        #expect(message.hasPrefix("\(chip) line 17: no such GPIO chip"))
    }

    /// A path that exists but is no GPIO chip is refused, naming it.
    @Test func aDeviceThatIsNoChipIsRefused() {
        for library in Self.libraries {
            #expect(
                throws: GPIORequestError(chip: "/dev/null", line: 0, reason: .notAChip(path: "/dev/null")),
                "libgpiod \(library.major)"
            ) {
                try Self.request(library.path, chip: "/dev/null", line: 0)
            }
        }
        #expect(
            GPIORequestError(chip: "/dev/null", line: 0, reason: .notAChip(path: "/dev/null")).description
                == "/dev/null line 0: /dev/null is not a GPIO chip (gpiodetect lists the chips)")
    }

    /// A chip device node in a folder of its own that is a plain file: the
    /// label lookup skips what is no chip and says "no such chip".
    @Test func aLabelLookupSkipsWhatIsNoChip() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(FileManager.default.createFile(atPath: dir.appendingPathComponent("gpiochip0").path, contents: nil))
        for library in Self.libraries {
            let backend = LibgpiodBackend(libraryPath: library.path, deviceDirectory: dir.path)
            #expect(backend.chipPaths() == [dir.appendingPathComponent("gpiochip0").path])
            #expect(backend.chips().isEmpty)
            #expect(throws: GPIORequestError(chip: "pinctrl-rp1", line: 17, reason: .noSuchChip)) {
                _ = try backend.request(
                    GPIODriverTests.line(17, "pir-1", chip: "pinctrl-rp1"), mode: GPIORequestMode.values, consumer: "t")
            }
        }
    }

    /// No library: every line says so, and nothing else breaks.
    @Test func aMissingLibraryIsTheLinesUnhealthyDetail() {
        guard case .failure(let error) = LibgpiodLibrary.load(candidates: LibgpiodLibrary.sonames.map { "x-" + $0 })
        else {
            Issue.record("a library that does not exist loaded")
            return
        }
        #expect(error.description.hasPrefix("libgpiod cannot be loaded"))
        let backend = LibgpiodBackend(libraryPath: "/nonexistent/libgpiod.so.3")
        #expect(backend.apiMajor == nil)
        #expect(throws: GPIORequestError.self) { try Self.request("/nonexistent/libgpiod.so.3", chip: "gpiochip0") }
        let missing = GPIORequestError(
            chip: "gpiochip0", line: 17,
            reason: .libraryMissing(detail: "libgpiod is not installed (libgpiod.so.2 or .so.3 not found)"))
        #expect(
            missing.description == "gpiochip0 line 17: libgpiod is not installed (libgpiod.so.2 or .so.3 not found)")
    }

    /// A library that is not libgpiod is refused by name.
    @Test func aLibraryThatIsNotLibgpiodIsRefused() {
        let backend = LibgpiodBackend(libraryPath: "libc.so.6")
        #expect(backend.apiMajor == nil)
        #expect(backend.libraryDescription == "libc.so.6 is neither libgpiod 1.x nor 2.x")
    }

    @Test func messagesNameChipLineAndReason() {
        #expect(
            GPIORequestError(chip: "gpiochip0", line: 60, reason: .noSuchLine(lines: 54)).description
                == "gpiochip0 line 60: no such line (gpiochip0 has 54 lines, 0-53)")
        #expect(
            GPIORequestError(chip: "gpiochip0", line: 4, reason: .busy(consumer: nil)).description
                == "gpiochip0 line 4: line is busy")
    }
}
