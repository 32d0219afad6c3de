import PicketConfig
import PicketCore
import Testing

/// One test per rule for `forward` and `hotline`. Zones north and ford come
/// from `sensorsPrefix`; `forward:` or `hotline:` is on line 10.
@Suite struct DeliveryValidationTests {
    private let hotlineHead = """
        hotline:
          url: https://sms.example/Messages
          from: "+18025550199"
          credentials_file: /etc/picket/hotline.cred
          subscribers:

        """

    /// A hotline whose one subscriber, on line 15, is `entry`.
    private func subscriber(_ entry: String) -> String {
        sensorsPrefix + hotlineHead + "    - \(entry)\n"
    }

    @Test func forwardIsReadWithItsDefaultFormat() {
        let config = configuration(sensorsPrefix + "forward: {url: https://s.example/a, secret_file: /etc/k}\n")
        #expect(config?.forward == ForwardConfig(url: "https://s.example/a", secretFile: "/etc/k", format: .json))
        let cap = configuration(sensorsPrefix + "forward: {url: http://s.example, secret_file: /etc/k, format: cap}\n")
        #expect(cap?.forward?.format == .cap)
    }

    /// `cap_radius_m`: the CAP area's radius, 100 m unless set, a whole
    /// number of metres from 1 to 50 km.
    @Test func capRadiusIsReadWithItsDefaultAndValidated() {
        let head = sensorsPrefix + "forward: {url: https://s.example/a, secret_file: /etc/k, format: cap"
        #expect(configuration(head + "}\n")?.forward?.capRadiusM == 100)
        #expect(configuration(head + ", cap_radius_m: 250}\n")?.forward?.capRadiusM == 250)
        for bad in ["0", "-5", "1.5", "50001", "wide"] {
            let found = problems(head + ", cap_radius_m: \(bad)}\n")
            #expect(found.count == 1, "\(bad): \(found)")
            #expect(found.first?.hasPrefix("test.yaml:10: forward.cap_radius_m: must be") == true, "\(found)")
        }
    }

    @Test func caFilesAndTheTimeZoneAreRead() {
        let config = configuration(
            sensorsPrefix + "forward: {url: https://s.example/a, secret_file: /etc/k, ca_file: /etc/picket/ca.pem}\n"
                + "timezone: America/New_York\n")
        #expect(config?.forward?.caFile == "/etc/picket/ca.pem")
        #expect(config?.timeZone == "America/New_York")
        #expect(configuration(sensorsPrefix)?.timeZone == "UTC")
        let hotline = configuration(
            sensorsPrefix + "hotline: {url: https://g.example, from: \"+18025550199\", credentials_file: /c, "
                + "ca_file: /ca.pem, subscribers: []}\n")
        #expect(hotline?.hotline?.caFile == "/ca.pem")
    }

    /// `hotline.contact` (PRODUCT.md sections 7 and 9): the number a text ends with, E.164 like `from`.
    @Test func hotlineContactIsReadAndValidated() {
        let head = sensorsPrefix + "hotline: {url: https://g.example, from: \"+18025550199\", credentials_file: /c, "
        #expect(
            configuration(head + "contact: \"+18025550111\", subscribers: []}\n")?.hotline?.contact == "+18025550111")
        #expect(configuration(head + "subscribers: []}\n")?.hotline?.contact == nil)
        let bad = problems(head + "contact: \"call the barn\", subscribers: []}\n")
        #expect(bad.count == 1 && bad[0].hasPrefix("test.yaml:10: hotline.contact:"), "\(bad)")
    }

    @Test func metricsListenIsReadOrSwitchedOff() {
        #expect(configuration(sensorsPrefix)?.metricsListen == "127.0.0.1:9464")
        #expect(configuration(sensorsPrefix + "metrics: {listen: \"0.0.0.0:9100\"}\n")?.metricsListen == "0.0.0.0:9100")
        #expect(configuration(sensorsPrefix + "metrics: {listen: \"off\"}\n")?.metricsListen == nil)
        #expect(
            problems(sensorsPrefix + "metrics: {listen: \"everywhere\"}\n") == [
                "test.yaml:10: metrics.listen: must be host:port such as 127.0.0.1:9464 (or off)"
            ])
    }

    @Test func healthChecksAreOptInAndValidated() {
        let config = configuration(sensorsPrefix + "health: {heartbeat_timeout_s: 900, disk_min_free_mb: 50}\n")
        #expect(config?.health.heartbeatTimeoutNs == 900_000_000_000)
        #expect(config?.health.diskMinFreeBytes == 50 << 20)
        #expect(config?.health.batteryMinMv == nil)
        #expect(
            problems(sensorsPrefix + "health: {battery_min_mv: 0, gps_lost: 5}\n") == [
                "test.yaml:10: health.battery_min_mv: must be a whole number of millivolts >= 1",
                "test.yaml:10: health.gps_lost: unknown key (did you mean gps_lost_s?)",
            ])
    }

    @Test func anUnknownTimeZoneIsAnError() {
        #expect(
            problems(sensorsPrefix + "timezone: Mars/Olympus_Mons\n") == [
                "test.yaml:10: timezone: must be an IANA time zone name such as America/New_York or UTC; "
                    + "Mars/Olympus_Mons is not one this system knows (see /usr/share/zoneinfo)"
            ])
    }

    @Test func forwardNeedsURLAndSecretFile() {
        #expect(
            problems(sensorsPrefix + "forward: {format: json}\n") == [
                "test.yaml:10: forward.url: is required, e.g. url: https://sector.example/alerts",
                "test.yaml:10: forward.secret_file: is required, e.g. secret_file: /etc/picket/sector.key",
            ])
    }

    @Test(arguments: [
        "ftp://s.example/a", "s.example/alerts", "https://", "https:///alerts", "'https://s.example/a b'",
    ])
    func forwardURLMustBeHTTP(url: String) {
        let found = problems(sensorsPrefix + "forward: {url: \(url), secret_file: /etc/k}\n")
        #expect(found.count == 1)
        #expect(
            found.first?.hasPrefix(
                "test.yaml:10: forward.url: must be an http:// or https:// URL, e.g. https://sector.example/alerts")
                == true)
    }

    @Test func forwardFormatMustBeJSONOrCAP() {
        #expect(
            problems(sensorsPrefix + "forward: {url: https://s.example, secret_file: /etc/k, format: xml}\n")
                == ["test.yaml:10: forward.format: must be json or cap"])
    }

    @Test func hotlineIsReadWithSubscriberDefaults() {
        let config = configuration(subscriber("{name: North farm, phone: +18025550100, zones: [north, ford]}"))
        #expect(
            config?.hotline
                == HotlineConfig(
                    url: "https://sms.example/Messages", from: "+18025550199",
                    credentialsFile: "/etc/picket/hotline.cred",
                    subscribers: [
                        Subscriber(
                            name: "North farm", phone: "+18025550100", zones: ["north", "ford"], minSeverity: .low,
                            quietHours: nil, maxPerHour: nil)
                    ]))
    }

    @Test func hotlineNeedsURLFromAndCredentials() {
        #expect(
            problems(sensorsPrefix + "hotline: {subscribers: []}\n") == [
                "test.yaml:10: hotline.url: is required, e.g. url: https://sms-gateway.example/Messages",
                "test.yaml:10: hotline.from: is required, e.g. from: \"+18025550199\"",
                "test.yaml:10: hotline.credentials_file: is required, e.g. credentials_file: /etc/picket/hotline.cred",
            ])
    }

    @Test(arguments: ["18025550199", "'+1'", "'+1234567890123456'", "'+1 802 555 0199'", "'+1802555O199'"])
    func hotlineFromMustBeE164(from: String) {
        let yaml = sensorsPrefix + "hotline: {url: https://sms.example, from: \(from), credentials_file: /etc/c}\n"
        #expect(
            problems(yaml) == [
                "test.yaml:10: hotline.from: must be an E.164 number: + then 2 to 15 digits, e.g. \"+18025550199\""
            ])
    }

    @Test func subscriberNeedsNamePhoneAndZones() {
        #expect(
            problems(subscriber("{min_severity: high}")) == [
                "test.yaml:15: hotline.subscribers[0].name: is required, e.g. name: North farm",
                "test.yaml:15: hotline.subscribers[0].phone: is required, e.g. phone: \"+18025550100\"",
                "test.yaml:15: hotline.subscribers[0].zones: is required, e.g. zones: [north-fork]",
            ])
    }

    @Test func subscriberPhoneMustBeE164() {
        #expect(
            problems(subscriber("{name: n, phone: 802-555-0100, zones: [north]}")) == [
                "test.yaml:15: hotline.subscribers[0].phone: must be an E.164 number: + then 2 to 15 digits, e.g. \"+18025550199\""
            ])
    }

    @Test func subscriberZonesMustBeANonEmptyListOfKnownZones() {
        #expect(
            problems(subscriber("{name: n, phone: '+18025550100', zones: []}"))
                == ["test.yaml:15: hotline.subscribers[0].zones: must list at least one zone, e.g. [north-fork]"])
        #expect(
            problems(subscriber("{name: n, phone: '+18025550100', zones: north}"))
                == [
                    "test.yaml:15: hotline.subscribers[0].zones: must be a list of zones such as [north-fork], not text"
                ])
        #expect(
            problems(subscriber("{name: n, phone: '+18025550100', zones: [north, forde]}")) == [
                "test.yaml:15: hotline.subscribers[0].zones[1]: no configured sensor is in zone forde (did you mean ford?)"
            ])
    }

    @Test func subscriberMinSeverityMustBeKnown() {
        #expect(
            problems(subscriber("{name: n, phone: '+18025550100', zones: [north], min_severity: all}"))
                == ["test.yaml:15: hotline.subscribers[0].min_severity: must be one of low, medium, high, critical"])
    }

    @Test(arguments: [
        ("22:00-06:00", 1320, 360),
        ("08:30-17:45", 510, 1065),
        ("00:00-23:59", 0, 1439),
    ])
    func quietHoursAreMinutesAfterMidnight(text: String, start: Int, end: Int) {
        let config = configuration(
            subscriber("{name: n, phone: '+18025550100', zones: [north], quiet_hours: '\(text)'}"))
        #expect(
            config?.hotline?.subscribers.first?.quietHours == Subscriber.QuietHours(startMinute: start, endMinute: end))
    }

    @Test(arguments: [
        "22:00", "24:00-06:00", "22:60-06:00", "10pm-6am", "22:00-06:00-07:00", "2:00-06:00", "22.00-06.00",
    ])
    func quietHoursMustBeHHMMRange(text: String) {
        #expect(
            problems(subscriber("{name: n, phone: '+18025550100', zones: [north], quiet_hours: '\(text)'}")) == [
                "test.yaml:15: hotline.subscribers[0].quiet_hours: must be \"HH:MM-HH:MM\" in 24-hour time, e.g. \"22:00-06:00\""
            ])
    }

    @Test func quietHoursMustNotBeEmpty() {
        #expect(
            problems(subscriber("{name: n, phone: '+18025550100', zones: [north], quiet_hours: '06:00-06:00'}")) == [
                "test.yaml:15: hotline.subscribers[0].quiet_hours: must start and end at different times, e.g. \"22:00-06:00\""
            ])
    }

    @Test func maxPerHourMustBeAtLeastOne() {
        #expect(
            configuration(subscriber("{name: n, phone: '+18025550100', zones: [north], max_per_hour: 1}"))?.hotline?
                .subscribers.first?.maxPerHour == 1)
        #expect(
            problems(subscriber("{name: n, phone: '+18025550100', zones: [north], max_per_hour: 0}"))
                == ["test.yaml:15: hotline.subscribers[0].max_per_hour: must be a whole number >= 1"])
    }

    @Test func subscribersMustBeAListOfMappings() {
        #expect(
            problems(sensorsPrefix + hotlineHead + "      name: n\n")
                == ["test.yaml:15: hotline.subscribers: must be a list of subscribers, not a mapping"])
    }

    @Test func unknownSubscriberKeyIsReported() {
        #expect(
            problems(subscriber("{name: n, phone: '+18025550100', zones: [north], quiet: '22:00-06:00'}"))
                == ["test.yaml:15: hotline.subscribers[0].quiet: unknown key (did you mean quiet_hours?)"])
    }
}
