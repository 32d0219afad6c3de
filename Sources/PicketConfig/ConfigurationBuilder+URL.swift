import Foundation
import PicketCore

#if canImport(Glibc)
    import Glibc
#endif

extension ConfigurationBuilder {
    static let urlExpectation = "must be an http:// or https:// URL, e.g. https://sector.example/alerts"

    /// An http or https URL with a host and, if any, a port from 1 to 65535.
    /// Plain http is allowed for a gateway on the box's own network;
    /// certificate checks happen at delivery. A URL that could never be
    /// reached is refused here, not retried forever; a user or password in
    /// it is refused too, because secrets belong in files.
    func httpURL(_ field: Field) -> String? {
        guard let url = reader.text(field, Self.urlExpectation) else { return nil }
        if let problem = Self.urlProblem(url) {
            reader.report(field, problem)
            return nil
        }
        return url
    }

    /// Why `url` is not a usable http(s) URL, or nil when it is.
    static func urlProblem(_ url: String) -> String? {
        guard let separator = url.range(of: "://") else { return urlExpectation }
        let scheme = url[..<separator.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { return urlExpectation }
        guard
            !url.unicodeScalars.contains(where: {
                $0.properties.isWhitespace || $0.properties.generalCategory == .control
            })
        else { return "\(urlExpectation), without spaces or control characters" }
        let rest = url[separator.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if authority.contains("@") {
            return "must not hold a user or password: credentials belong in files: "
                + "use hotline.credentials_file / forward.secret_file"
        }
        let host: Substring
        let port: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                return "\(urlExpectation); the host \(authority) has an unbalanced [ (an IPv6 address is written [::1])"
            }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            guard after.isEmpty || after.hasPrefix(":") else {
                return "\(urlExpectation); only :port may follow the IPv6 address [\(host)]"
            }
            port = after.isEmpty ? nil : after.dropFirst()
            var address = in6_addr()
            guard inet_pton(AF_INET6, String(host), &address) == 1 else {
                return "\(urlExpectation); [\(host)] is not an IPv6 address"
            }
        } else {
            guard !authority.contains("[") && !authority.contains("]") else {
                return "\(urlExpectation); the host \(authority) has an unbalanced ] (an IPv6 address is written [::1])"
            }
            let parts = authority.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            host = parts[0]
            port = parts.count > 1 ? parts[1] : nil
            guard !host.isEmpty else { return "\(urlExpectation); it has no host" }
            guard
                host.unicodeScalars.allSatisfy({
                    switch $0 {
                    case "A"..."Z", "a"..."z", "0"..."9", ".", "-", "_": true
                    default: false
                    }
                })
            else { return "\(urlExpectation); the host \(host) may use only letters, digits, '.', '-' and '_'" }
        }
        if let port {
            guard !port.isEmpty, port.count <= 5, port.allSatisfy({ ("0"..."9").contains($0) }), let number = Int(port),
                (1...65535).contains(number)
            else { return "\(urlExpectation); the port \(port) is not a number from 1 to 65535" }
        }
        return nil
    }
}
