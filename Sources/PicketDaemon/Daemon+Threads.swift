import NIOCore

extension Daemon {
    /// SwiftNIO's event loops (`/metrics` and the sender's HTTP client)
    /// default to one thread per core; a few requests a minute need one.
    /// Set once per process (NIO traps on a second setting), before either
    /// uses the loops: every thread is memory and wakeups on a small box.
    static let oneEventLoop: Void = { NIOSingletons.groupLoopCountSuggestion = 1 }()
}
