#if canImport(Glibc)
    import Glibc
#endif

/// libgpiod, loaded at run time with `dlopen`: libgpiod 2 (`libgpiod.so.3`,
/// Debian 13 and Raspberry Pi OS 13) first, then libgpiod 1 (`libgpiod.so.2`,
/// Debian 12).
///
/// Why by hand rather than a module map: the two majors share a header name
/// and a `pkg-config` name but not an API (v2 removed the v1 calls), so no
/// one build links both, and a linked library would keep Picket from
/// starting at all on a box without it, even for serial ports or
/// `--simulate`. The handful of calls the driver needs are declared here and
/// in `LibgpiodV1` and `LibgpiodV2` as C function pointer types, after the
/// libraries' headers (`gpiod.h` of 1.6 and of 2.x); a box then needs only
/// the runtime package (`libgpiod2` or `libgpiod3`), and the build needs
/// neither.
enum LibgpiodLibrary: Sendable {
    case v1(LibgpiodV1)
    case v2(LibgpiodV2)

    /// The sonames tried, newest API first.
    static let sonames = ["libgpiod.so.3", "libgpiod.so.2"]

    /// The system's libgpiod, loaded once on first use.
    static let system: Result<LibgpiodLibrary, LoadError> = load(candidates: sonames)

    /// Why no libgpiod could be used.
    struct LoadError: Error, Sendable, Equatable, CustomStringConvertible {
        var description: String
    }

    /// Loads the library at `path` (a soname or a file).
    static func load(path: String) -> Result<LibgpiodLibrary, LoadError> {
        load(candidates: [path])
    }

    static func load(candidates: [String]) -> Result<LibgpiodLibrary, LoadError> {
        var tried: [String] = []
        for name in candidates {
            // Never closed: the library serves the process to its end.
            guard let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) else {
                tried.append(dlerror().map { String(cString: $0) } ?? name)
                continue
            }
            do throws(LoadError) {
                if dlsym(handle, "gpiod_chip_request_lines") != nil {
                    return .success(.v2(try LibgpiodV2(handle)))
                }
                if dlsym(handle, "gpiod_line_request_both_edges_events_flags") != nil {
                    return .success(.v1(try LibgpiodV1(handle)))
                }
                return .failure(LoadError(description: "\(name) is neither libgpiod 1.x nor 2.x"))
            } catch {
                return .failure(error)
            }
        }
        if candidates == sonames {
            return .failure(
                LoadError(
                    description:
                        "libgpiod is not installed (libgpiod.so.2 or .so.3 not found): apt-get install libgpiod2 (Debian 12) or libgpiod3 (Debian 13)"
                ))
        }
        return .failure(LoadError(description: "libgpiod cannot be loaded: " + tried.joined(separator: "; ")))
    }

    /// The library's own version string (`1.6.3`, `2.2`).
    var version: String {
        switch self {
        case .v1(let api): api.version
        case .v2(let api): api.version
        }
    }

    /// 1 or 2.
    var major: Int {
        switch self {
        case .v1: 1
        case .v2: 2
        }
    }
}

/// Looks a C function up by name and types it: the type must match the
/// library's declaration, which is why each table lists them with the header's
/// wording beside them.
func libgpiodSymbol<T>(_ handle: UnsafeMutableRawPointer, _ name: String, _: T.Type) throws(LibgpiodLibrary.LoadError)
    -> T
{
    guard let pointer = dlsym(handle, name) else {
        throw LibgpiodLibrary.LoadError(description: "libgpiod lacks \(name) (too old a version?)")
    }
    return unsafeBitCast(pointer, to: T.self)
}
