import Foundation
import PicketCore

/// Where alerts go. Nothing is contacted while loading: only the shape of
/// URLs, numbers and times is checked, so `check-config` works offline in
/// the field and the daemon never starts with a subscriber it cannot text.
extension ConfigurationBuilder {
    static let forwardKeys = [
        "url", "secret_file", "format", "ca_file", "status_interval_s", "status_url", "cap_radius_m",
    ]
    static let hotlineKeys = ["url", "from", "credentials_file", "subscribers", "ca_file", "contact"]
    static let subscriberKeys = ["name", "phone", "zones", "min_severity", "quiet_hours", "max_per_hour"]
    static let phoneExpectation = SubscriberChecks.phoneExpectation

    func forward(_ field: Field) -> ForwardConfig? {
        guard
            let map = reader.mapping(
                field,
                "must be a mapping such as {url: https://sector.example/alerts, secret_file: /etc/picket/sector.key}",
                allowed: Self.forwardKeys)
        else { return nil }
        let url = map.required("url", example: "https://sector.example/alerts").flatMap(httpURL)
        let secretFile = map.required("secret_file", example: "/etc/picket/sector.key").flatMap { reader.text($0) }
        let format = map.optional("format").flatMap { reader.choice($0, ForwardConfig.Format.self) } ?? .json
        let caFile = map.optional("ca_file").flatMap { reader.text($0) }
        // At most a week: a box silent for longer than that is not "quiet".
        let statusInterval =
            map.optional("status_interval_s").flatMap {
                reader.wholeNumber(
                    $0, minimum: 0, maximum: 604_800,
                    "must be a whole number of seconds from 0 (off) to 604800, e.g. 300")
            } ?? 300
        let statusURL = map.optional("status_url").flatMap(httpURL)
        let capRadius =
            map.optional("cap_radius_m").flatMap {
                reader.wholeNumber(
                    $0, minimum: 1, maximum: ForwardConfig.maximumCAPRadiusM,
                    "must be a whole number of metres from 1 to \(ForwardConfig.maximumCAPRadiusM), e.g. 100")
            } ?? ForwardConfig.defaultCAPRadiusM
        guard let url, let secretFile else { return nil }
        return ForwardConfig(
            url: url, secretFile: secretFile, format: format, caFile: caFile, statusIntervalS: statusInterval,
            statusURL: statusURL, capRadiusM: capRadius)
    }

    func hotline(_ field: Field) -> HotlineConfig? {
        guard
            let map = reader.mapping(
                field,
                "must be a mapping such as {url: https://sms-gateway.example/Messages, from: \"+18025550199\", credentials_file: /etc/picket/hotline.cred}",
                allowed: Self.hotlineKeys)
        else { return nil }
        let url = map.required("url", example: "https://sms-gateway.example/Messages").flatMap(httpURL)
        let from = map.required("from", example: "\"+18025550199\"").flatMap(phone)
        let credentialsFile = map.required("credentials_file", example: "/etc/picket/hotline.cred").flatMap {
            reader.text($0)
        }
        let subscribers = entries(map, "subscribers", "must be a list of subscribers", subscriber)
        let caFile = map.optional("ca_file").flatMap { reader.text($0) }
        // The number a landowner calls back, as they dial it: E.164 like `from`.
        let contact = map.optional("contact").flatMap(phone)
        guard let url, let from, let credentialsFile else { return nil }
        return HotlineConfig(
            url: url, from: from, credentialsFile: credentialsFile, subscribers: subscribers, caFile: caFile,
            contact: contact)
    }

    /// `health: {heartbeat_timeout_s, battery_min_mv, gps_lost_s,
    /// disk_min_free_mb, clock_max_offset_s}`: each key switches its check on.
    func healthSettings(_ field: Field) -> HealthMonitor.Settings? {
        guard
            let map = reader.mapping(
                field, "must be a mapping such as {heartbeat_timeout_s: 900, battery_min_mv: 3300}",
                allowed: [
                    "heartbeat_timeout_s", "battery_min_mv", "gps_lost_s", "disk_min_free_mb", "clock_max_offset_s",
                ])
        else { return nil }
        // Maxima: about 31 years of seconds, a megavolt, a petabyte; all
        // fit in Int64 nanoseconds or bytes with room to spare.
        func number(_ key: String, _ what: String, maximum: Int) -> Int? {
            map.optional(key).flatMap {
                reader.wholeNumber($0, minimum: 1, maximum: maximum, "must be a whole number of \(what) >= 1")
            }
        }
        return HealthMonitor.Settings(
            heartbeatTimeoutNs: number("heartbeat_timeout_s", "seconds", maximum: 1_000_000_000).map {
                Int64($0) * 1_000_000_000
            },
            batteryMinMv: number("battery_min_mv", "millivolts", maximum: 1_000_000_000),
            gpsLostNs: number("gps_lost_s", "seconds", maximum: 1_000_000_000).map { Int64($0) * 1_000_000_000 },
            diskMinFreeBytes: number("disk_min_free_mb", "megabytes", maximum: 1_000_000_000).map {
                Int64($0) * 1_048_576
            },
            clockMaxOffsetNs: map.optional("clock_max_offset_s").flatMap(clockMaxOffset))
    }

    /// `health.clock_max_offset_s`: seconds, fractions allowed (0.5), more
    /// than 0 and at most a day.
    private func clockMaxOffset(_ field: Field) -> Int64? {
        let expectation = "must be a number of seconds > 0 and <= 86400, e.g. 2 or 0.5"
        guard let seconds = reader.number(field, expectation) else { return nil }
        guard seconds > 0, seconds <= 86_400 else {
            reader.report(field, expectation)
            return nil
        }
        return Int64((seconds * 1e9).rounded())
    }

    /// `metrics: {listen: 127.0.0.1:9464}`; `listen: off` switches the
    /// endpoint off. Returns the address, or nil for off.
    func metricsListen(_ field: Field) -> String? {
        let expectation = "must be host:port such as 127.0.0.1:9464 (or off)"
        guard
            let map = reader.mapping(field, "must be a mapping such as {listen: 127.0.0.1:9464}", allowed: ["listen"]),
            let listen = map.optional("listen").flatMap({ reader.text($0, expectation) })
        else { return "127.0.0.1:9464" }
        if listen == "off" { return nil }
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]),
            (0...65535).contains(port), colon != listen.startIndex
        else {
            reader.report(map.optional("listen")!, expectation)
            return nil
        }
        return listen
    }

    /// An IANA time zone name the system knows (`America/New_York`), so
    /// quiet hours follow daylight saving time.
    func timeZone(_ field: Field) -> String? {
        let expectation = "must be an IANA time zone name such as America/New_York or UTC"
        guard let name = reader.text(field, expectation) else { return nil }
        guard TimeZone(identifier: name) != nil else {
            reader.report(field, "\(expectation); \(name) is not one this system knows (see /usr/share/zoneinfo)")
            return nil
        }
        return name
    }

    private func subscriber(_ field: Field) -> Subscriber? {
        guard
            let map = reader.mapping(
                field, "must be a mapping such as {name: North farm, phone: \"+18025550100\", zones: [north-fork]}",
                allowed: Self.subscriberKeys)
        else { return nil }
        let name = map.required("name", example: "North farm").flatMap { reader.text($0) }
        let phone = map.required("phone", example: "\"+18025550100\"").flatMap(phone)
        let zones = map.required("zones", example: "[north-fork]").flatMap(subscriberZones)
        let minSeverity = map.optional("min_severity").flatMap { reader.choice($0, Severity.self) } ?? .low
        let quietHours = map.optional("quiet_hours").flatMap(quietHours)
        let maxPerHour = map.optional("max_per_hour").flatMap {
            reader.wholeNumber(
                $0, minimum: SubscriberChecks.maxPerHourMinimum, SubscriberChecks.maxPerHourExpectation)
        }
        guard let name, let phone, let zones else { return nil }
        return Subscriber(
            name: name, phone: phone, zones: zones, minSeverity: minSeverity, quietHours: quietHours,
            maxPerHour: maxPerHour)
    }

    private func subscriberZones(_ field: Field) -> [String]? {
        guard let items = reader.list(field, "must be a list of zones such as [north-fork]") else { return nil }
        guard !items.isEmpty else {
            reader.report(field, "must list at least one zone, e.g. [north-fork]")
            return nil
        }
        var zones: [String] = []
        for item in items {
            guard let zone = reader.text(item, "must be a zone name") else { continue }
            guard knownZones.contains(zone) else {
                reader.report(item, "no configured sensor is in zone \(zone)\(zoneHint(for: zone))")
                continue
            }
            zones.append(zone)
        }
        return zones
    }

    /// E.164 as the SMS gateway wants it. Unquoted `+1802…` is a YAML
    /// integer, but the reader keeps the text as written, plus sign included.
    func phone(_ field: Field) -> String? {
        guard let text = reader.text(field, Self.phoneExpectation) else { return nil }
        return checked(field) { () throws(SubscriberChecks.Problem) in try SubscriberChecks.phone(text) }
    }

    /// `HH:MM-HH:MM` in 24-hour time; a start after the end wraps midnight.
    private func quietHours(_ field: Field) -> Subscriber.QuietHours? {
        guard let text = reader.text(field, SubscriberChecks.quietHoursExpectation) else { return nil }
        return checked(field) { () throws(SubscriberChecks.Problem) in try SubscriberChecks.quietHours(text) }
    }

    /// `body`'s value, or nil with its problem reported at `field`.
    private func checked<T>(_ field: Field, _ body: () throws(SubscriberChecks.Problem) -> T) -> T? {
        do {
            return try body()
        } catch {
            reader.report(field, error.expectation)
            return nil
        }
    }
}
