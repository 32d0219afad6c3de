import ArgumentParser
import PicketConfig
import PicketDaemon
import PicketDelivery
import PicketHardware
import PicketStore

/// sysexits(3) codes, as PRODUCT.md section 8 fixes them.
public enum ExitStatus {
    public static let usage: Int32 = 64
    public static let dataError: Int32 = 65
    public static let noInput: Int32 = 66
    public static let software: Int32 = 70
    public static let ioError: Int32 = 74
    public static let config: Int32 = 78
}

/// Prints `error` to standard error, naming what and where, and turns it
/// into the matching exit code.
func fail(_ error: any Error) -> ExitCode {
    let (message, code): (String, Int32) =
        switch error {
        case let e as ConfigLoadError:
            switch e {
            case .missingFile: ("\(e)", ExitStatus.noInput)
            case .invalid: ("\(e)", ExitStatus.config)
            }
        case let e as ConfigError: ("\(e)", ExitStatus.config)
        case let e as RecordingError:
            switch e {
            case .missing: ("\(e)", ExitStatus.noInput)
            case .invalid: ("\(e)", ExitStatus.dataError)
            case .io: ("\(e)", ExitStatus.ioError)
            }
        case let e as StoreError:
            switch e {
            case .missing, .unusable: ("\(e)", ExitStatus.noInput)
            case .readOnly: ("\(e)", ExitStatus.ioError)
            case .sqlite, .schemaTooNew, .schemaTooOld: ("\(e)", ExitStatus.ioError)
            }
        case let e as SQLiteError: ("\(e)", ExitStatus.ioError)
        case let e as CLIError: (e.message, e.code)
        case let e as LiveDriverError: ("\(e)", ExitStatus.config)
        case let e as SystemError: ("\(e)", e.isMissing ? ExitStatus.noInput : ExitStatus.ioError)
        // A secret the configuration names that cannot be used: fix the file, not retry.
        case let e as SecretFileError: ("\(e)", ExitStatus.config)
        default: ("\(error)", ExitStatus.software)
        }
    Console.error(message)
    return ExitCode(code)
}

/// An error the CLI itself raises, with its exit code.
struct CLIError: Error {
    var message: String
    var code: Int32
}

/// Runs a command's body, turning any error but an `ExitCode` into its
/// message and exit code.
func reportingErrors<R>(_ body: () throws -> R) throws -> R {
    do {
        return try body()
    } catch let error as ExitCode {
        throw error
    } catch {
        throw fail(error)
    }
}

/// The asynchronous form of `reportingErrors`.
func reportingErrors<R>(_ body: () async throws -> R) async throws -> R {
    do {
        return try await body()
    } catch let error as ExitCode {
        throw error
    } catch {
        throw fail(error)
    }
}
