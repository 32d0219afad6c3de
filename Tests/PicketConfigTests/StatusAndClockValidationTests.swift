import PicketConfig
import PicketCore
import Testing

/// `forward.status_interval_s`, `forward.status_url` and
/// `health.clock_max_offset_s`: defaults, and file:line:key errors.
/// `forward:` or `health:` is on line 10.
@Suite struct StatusAndClockValidationTests {
    @Test func statusDefaultsToEveryFiveMinutesBesideTheAlerts() {
        let config = configuration(sensorsPrefix + "forward: {url: https://s.example/v1/alerts, secret_file: /etc/k}\n")
        #expect(config?.forward?.statusIntervalS == 300)
        #expect(config?.forward?.statusURL == nil)
        #expect(config?.forward?.effectiveStatusURL == "https://s.example/v1/status")
        let off = configuration(
            sensorsPrefix
                + "forward: {url: https://s.example/a, secret_file: /etc/k, status_interval_s: 0, "
                + "status_url: \"http://s.example:8080/box-status\"}\n")
        #expect(off?.forward?.statusIntervalS == 0)
        #expect(off?.forward?.effectiveStatusURL == "http://s.example:8080/box-status")
    }

    @Test(arguments: [
        ("https://s.example/v1/alerts", "https://s.example/v1/status"),
        ("https://s.example/v1/alerts/", "https://s.example/v1/status"),
        // The query is kept (a sector's token), the fragment (never sent) is not.
        ("https://s.example/alerts?x=1", "https://s.example/status?x=1"),
        ("https://s.example/v1/alerts?key=K&box=b#top", "https://s.example/v1/status?key=K&box=b"),
        ("https://s.example?key=K", "https://s.example/status?key=K"),
        ("https://s.example/alerts#top", "https://s.example/status"),
        ("https://s.example", "https://s.example/status"),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080/status"),
    ])
    func statusURLReplacesTheLastPathSegment(url: String, status: String) {
        #expect(ForwardConfig(url: url, secretFile: "/k").effectiveStatusURL == status)
    }

    @Test(arguments: ["-1", "abc", "1.5", "604801", "\"300\""])
    func statusIntervalMustBeWholeSeconds(value: String) {
        let found = problems(
            sensorsPrefix + "forward: {url: https://s.example/a, secret_file: /etc/k, status_interval_s: \(value)}\n")
        #expect(found.count == 1)
        #expect(found.first?.hasPrefix("test.yaml:10: forward.status_interval_s: must be") == true, "\(found)")
    }

    @Test func statusURLMustBeHTTP() {
        #expect(
            problems(sensorsPrefix + "forward: {url: https://s.example/a, secret_file: /etc/k, status_url: ftp://x}\n")
                == [
                    "test.yaml:10: forward.status_url: must be an http:// or https:// URL, e.g. https://sector.example/alerts"
                ])
    }

    @Test func clockMaxOffsetIsOptInAndValidated() {
        #expect(
            configuration(sensorsPrefix + "health: {clock_max_offset_s: 0.5}\n")?.health.clockMaxOffsetNs == 500_000_000
        )
        #expect(configuration(sensorsPrefix + "health: {gps_lost_s: 5}\n")?.health.clockMaxOffsetNs == nil)
        for value in ["0", "-2", "soon", "86401"] {
            #expect(
                problems(sensorsPrefix + "health: {clock_max_offset_s: \(value)}\n") == [
                    "test.yaml:10: health.clock_max_offset_s: must be a number of seconds > 0 and <= 86400, e.g. 2 or 0.5"
                ], "\(value)")
        }
    }
}
