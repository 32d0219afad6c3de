/// A configured baud rate termios cannot set. Not retried like an unplugged
/// port: waiting does not make the rate valid, the configuration must change.
public struct UnsupportedBaudRate: Error, Sendable, Equatable, CustomStringConvertible {
    public var port: String
    public var baud: Int

    public init(port: String, baud: Int) {
        self.port = port
        self.baud = baud
    }

    public var description: String {
        "\(port): baud rate \(baud) is not supported by termios; use a standard rate such as 9600 or 115200"
    }
}
