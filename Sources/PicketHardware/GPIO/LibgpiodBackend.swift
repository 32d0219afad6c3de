import Foundation
import PicketCore

#if canImport(Glibc)
    import Glibc
#endif

/// GPIO lines through libgpiod, 1.x or 2.x, whichever the box has
/// (`LibgpiodLibrary`, loaded at run time).
///
/// A chip is named by `gpiochipN`, by its path, by its number, or by its
/// label (`pinctrl-rp1`, `pinctrl-bcm2711`), looked up among
/// `/dev/gpiochip*`. Each line gets a chip handle (v1) or a request (v2) of
/// its own, so releasing a failed line (a chip that went away, a line to
/// retry) never touches the others.
public struct LibgpiodBackend: GPIOBackend {
    private let library: Result<LibgpiodLibrary, LibgpiodLibrary.LoadError>
    private let deviceDirectory: String

    /// The system's libgpiod: `libgpiod.so.3` (v2), else `libgpiod.so.2` (v1).
    public init() {
        library = LibgpiodLibrary.system
        deviceDirectory = "/dev"
    }

    /// A given library (a soname such as `libgpiod.so.2`, or a file), for
    /// tests that run against both majors.
    public init(libraryPath: String, deviceDirectory: String = "/dev") {
        library = LibgpiodLibrary.load(path: libraryPath)
        self.deviceDirectory = deviceDirectory
    }

    /// 1 or 2, or nil when no libgpiod could be loaded.
    public var apiMajor: Int? { try? library.get().major }
    /// The library's version, or why there is none.
    public var libraryDescription: String {
        switch library {
        case .success(let api): "libgpiod \(api.version)"
        case .failure(let error): error.description
        }
    }

    public func request(_ config: GPIOLineConfig, mode: GPIORequestMode, consumer: String) throws(GPIORequestError)
        -> any GPIORequestedLine
    {
        let api: LibgpiodLibrary
        switch library {
        case .success(let loaded): api = loaded
        case .failure(let error):
            throw GPIORequestError(
                chip: config.chip, line: config.line, reason: .libraryMissing(detail: error.description))
        }
        let path = try resolve(config.chip, line: config.line, api: api)
        switch api {
        case .v1(let v1): return try v1.request(path: path, config, mode: mode, consumer: consumer)
        case .v2(let v2): return try v2.request(path: path, config, mode: mode, consumer: consumer)
        }
    }

    public func chips() -> [GPIOChipInfo] {
        guard let api = try? library.get() else { return [] }
        return chipPaths().compactMap { try? Self.chipInfo(api, path: $0) }
    }

    // MARK: Chips by name, path, number or label

    /// `/dev/gpiochip*`, in number order.
    func chipPaths() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: deviceDirectory)) ?? []
        return names.compactMap { name -> (Int, String)? in
            guard name.hasPrefix("gpiochip"), let number = Int(name.dropFirst("gpiochip".count)) else { return nil }
            return (number, deviceDirectory + "/" + name)
        }.sorted { $0.0 < $1.0 }.map(\.1)
    }

    static func chipInfo(_ api: LibgpiodLibrary, path: String) throws(SystemError) -> GPIOChipInfo {
        switch api {
        case .v1(let v1): try v1.chipInfo(path: path)
        case .v2(let v2): try v2.chipInfo(path: path)
        }
    }

    /// The device path for the configured chip: a path as it is, a number or
    /// `gpiochipN` under /dev, anything else a label.
    func resolve(_ chip: String, line: Int, api: LibgpiodLibrary) throws(GPIORequestError) -> String {
        if chip.hasPrefix("/") { return chip }
        if !chip.isEmpty, chip.allSatisfy(\.isASCII), Int(chip) != nil { return "\(deviceDirectory)/gpiochip\(chip)" }
        if chip.hasPrefix("gpiochip"), Int(chip.dropFirst("gpiochip".count)) != nil {
            return "\(deviceDirectory)/\(chip)"
        }
        var denied: String?
        for path in chipPaths() {
            do throws(SystemError) {
                if try Self.chipInfo(api, path: path).label == chip { return path }
            } catch {
                if error.errno == EACCES || error.errno == EPERM { denied = denied ?? path }
            }
        }
        // A label we could not read may be the one: say why rather than "no such chip".
        if let denied { throw GPIORequestError(chip: chip, line: line, reason: .permissionDenied(path: denied)) }
        throw GPIORequestError(chip: chip, line: line, reason: .noSuchChip)
    }

    /// An event descriptor is read from `poll`, never waited on.
    static func makeNonblocking(_ fd: Int32, _ subject: String) throws(SystemError) {
        let flags = try SystemCall.retrying("fcntl", subject) { fcntl(fd, F_GETFL) }
        _ = try SystemCall.retrying("fcntl", subject) { fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
    }
}
