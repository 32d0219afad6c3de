import PicketConfig
import PicketCore
import Testing

/// URLs that could never be reached, credentials inside a URL, GPIO line
/// numbers no chip has, and names with control characters are refused at
/// load time, with file, line and key.
@Suite struct URLAndNameValidationTests {
    static let expectation = "must be an http:// or https:// URL, e.g. https://sector.example/alerts"

    private func forwardProblem(_ url: String) -> String? {
        let found = problems(sensorsPrefix + "forward: {url: \"\(url)\", secret_file: /etc/k}\n")
        #expect(found.count == 1, "\(found)")
        return found.first
    }

    @Test func malformedURLsAreRefusedWithTheReason() {
        let prefix = "test.yaml:10: forward.url: \(Self.expectation)"
        #expect(
            forwardProblem("http://[::1")
                == "\(prefix); the host [::1 has an unbalanced [ (an IPv6 address is written [::1])")
        #expect(forwardProblem("http://[::1]x/") == "\(prefix); only :port may follow the IPv6 address [::1]")
        #expect(forwardProblem("http://[nope]/") == "\(prefix); [nope] is not an IPv6 address")
        #expect(
            forwardProblem("http://::1]/")
                == "\(prefix); the host ::1] has an unbalanced ] (an IPv6 address is written [::1])")
        #expect(
            forwardProblem("http://s.example:99999/a") == "\(prefix); the port 99999 is not a number from 1 to 65535")
        #expect(forwardProblem("http://s.example:0/a") == "\(prefix); the port 0 is not a number from 1 to 65535")
        #expect(forwardProblem("http://s.example:/a") == "\(prefix); the port  is not a number from 1 to 65535")
        #expect(forwardProblem("https://s.example:4x3/a") == "\(prefix); the port 4x3 is not a number from 1 to 65535")
        #expect(forwardProblem("gopher://s.example/a") == prefix)
        #expect(forwardProblem("https://:443/a") == "\(prefix); it has no host")
        // The YAML escape \a is a bell: refused as every text value with one is.
        #expect(
            forwardProblem("https://s\\ax.example/a")
                == "test.yaml:10: forward.url: must be printable text without control characters "
                + "(newline, NUL, bell, DEL, bidi overrides); found U+0007")
        #expect(forwardProblem("https://s x.example/a") == "\(prefix), without spaces or control characters")
        #expect(
            forwardProblem("https://s!.example/a")
                == "\(prefix); the host s!.example may use only letters, digits, '.', '-' and '_'")
    }

    @Test func credentialsInsideAURLAreRefused() {
        let refusal =
            "must not hold a user or password: credentials belong in files: "
            + "use hotline.credentials_file / forward.secret_file"
        #expect(forwardProblem("https://user:s3cret@s.example/a") == "test.yaml:10: forward.url: \(refusal)")
        #expect(forwardProblem("https://user@s.example/a") == "test.yaml:10: forward.url: \(refusal)")
        #expect(
            problems(
                sensorsPrefix
                    + "hotline: {url: \"https://AC1:tok@g.example/M\", from: \"+18025550199\", credentials_file: /c, subscribers: []}\n"
            ) == ["test.yaml:10: hotline.url: \(refusal)"])
    }

    @Test func goodURLsStillLoad() {
        for url in [
            "https://s.example/a", "http://127.0.0.1:8080/v1/alerts", "http://[::1]:9000/a", "HTTPS://S.EXAMPLE",
            "https://s.example:65535?q=1#f", "http://gw_1.local:1/",
        ] {
            #expect(
                configuration(sensorsPrefix + "forward: {url: \"\(url)\", secret_file: /etc/k}\n")?.forward?.url == url)
        }
    }

    @Test func aGPIOLineBeyondAnyChipIsRefused() {
        for line in ["4294967296", "65536", "99999999999999999999"] {
            let yaml = "box: b\nsector: s\ngpio:\n  - {chip: gpiochip0, line: \(line), sensor: pir-1, kind: pir}\n"
            let found = problems(yaml)
            #expect(found.count == 1, "\(found)")
            #expect(found.first?.hasPrefix("test.yaml:4: gpio[0].line: ") == true, "\(found)")
        }
        #expect(
            configuration("box: b\nsector: s\ngpio:\n  - {chip: gpiochip0, line: 65535, sensor: pir-1, kind: pir}\n")?
                .gpio.first?.line == 65535)
    }

    /// `yaml` escapes (`\n`, `\0`, `\a`, `\x7F`, `\u202E`) spell the control
    /// characters, as a technician's editor or a pasted name would carry them.
    @Test(arguments: [
        ("\\n", "000A"), ("\\0", "0000"), ("\\a", "0007"), ("\\x7F", "007F"), ("\\u202E", "202E"),
        ("\\u202A", "202A"), ("\\u2066", "2066"), ("\\u2069", "2069"), ("\\t", "0009"),
    ])
    func controlCharactersInNamesAreRefused(escape: String, code: String) {
        let message =
            "must be printable text without control characters (newline, NUL, bell, DEL, bidi overrides); "
            + "found U+\(code)"
        #expect(
            problems("box: \"sim\(escape)INJECTED\"\nsector: s\n") == ["test.yaml:1: box: \(message)"])
        #expect(problems("box: b\nsector: \"x\(escape)\"\n") == ["test.yaml:2: sector: \(message)"])
        let zone = sensorsPrefix.replacingOccurrences(
            of: "{id: seis-8, kind: seismic, zone: ford}", with: "{id: seis-8, kind: seismic, zone: \"fo\(escape)rd\"}")
        #expect(problems(zone) == ["test.yaml:9: sensors[1].zone: \(message)"])
        let gpioZone = sensorsPrefix.replacingOccurrences(
            of: "sensor: pir-1, kind: pir, zone: north}", with: "sensor: pir-1, kind: pir, zone: \"n\(escape)\"}")
        #expect(problems(gpioZone).contains("test.yaml:4: gpio[0].zone: \(message)"))
        let tag = sensorsPrefix.replacingOccurrences(
            of: "{id: seis-7, kind: seismic, zone: north}",
            with: "{id: seis-7, kind: seismic, zone: north, tags: {trail: \"a\(escape)b\"}}")
        #expect(problems(tag) == ["test.yaml:8: sensors[0].tags.trail: \(message)"])
        #expect(
            problems(
                sensorsPrefix
                    + "rules:\n  - {name: \"r\(escape)\", sequence: [beam-s, beam-n], within_s: 5, severity: high}\n"
            )
            .first?.hasPrefix("test.yaml:11: rules[0].name: ") == true)
    }

    @Test func printableUnicodeNamesStillLoad() {
        let config = configuration("box: \"Sainte-Anne-des-Monts ⛰ 07\"\nsector: \"secteur été\"\n")
        #expect(config?.box == "Sainte-Anne-des-Monts ⛰ 07")
        #expect(config?.sector == "secteur été")
    }
}
