import PicketCore
import Testing

/// Health checks as a state machine over given times: each condition
/// alerts once when it starts and again only after it cleared.
@Suite struct HealthMonitorTests {
    static let s: Int64 = 1_000_000_000
    static let configuration = PicketConfiguration(
        box: "b", sector: "s", site: Position(lat: 1, lon: 2),
        sensors: [SensorConfig(id: "seis-7", kind: .seismic, zone: "north-fork")])

    static func monitor(_ settings: HealthMonitor.Settings) -> HealthMonitor {
        HealthMonitor(configuration: configuration, settings: settings)
    }

    static func status(_ t: Int64, mv: Int = 3600, tamper: Bool = false, sensor: String = "seis-7") -> SensorStatus {
        SensorStatus(sensor: sensor, ts: t * s, batteryMv: mv, tempC: 10, tamper: tamper)
    }

    @Test func tamperAlertsOnceUntilItCloses() {
        var m = Self.monitor(HealthMonitor.Settings(batteryMinMv: 3300))
        var alerts: [Alert] = []
        for (t, tamper) in [(1, false), (2, true), (3, true), (4, false), (5, true)] {
            m.heartbeat(Self.status(Int64(t), tamper: tamper)) { alerts.append($0) }
        }
        #expect(alerts.map(\.rule) == ["health.tamper", "health.tamper"])
        #expect(alerts.map(\.firstTs) == [2 * Self.s, 5 * Self.s])
        #expect(alerts[0].severity == .high)
        #expect(alerts[0].zone == "north-fork")
        #expect(alerts[0].position == Position(lat: 1, lon: 2))
        #expect(alerts[0].id != alerts[1].id)
    }

    @Test func batteryHasHysteresis() {
        var m = Self.monitor(HealthMonitor.Settings(batteryMinMv: 3300))
        var alerts: [Alert] = []
        for (t, mv) in [(1, 3400), (2, 3290), (3, 3310), (4, 3280), (5, 3450), (6, 3200)] {
            m.heartbeat(Self.status(Int64(t), mv: mv)) { alerts.append($0) }
        }
        // 3310 is not 100 mV above the line: still low; 3450 clears it.
        #expect(alerts.map(\.firstTs) == [2 * Self.s, 6 * Self.s])
        #expect(alerts.first?.summary == "seis-7 battery low: 3290 mV (minimum 3300 mV)")
    }

    @Test func aSilentSensorGoesOfflineAndComesBack() {
        var m = Self.monitor(HealthMonitor.Settings(heartbeatTimeoutNs: 60 * Self.s))
        var alerts: [Alert] = []
        m.heartbeat(Self.status(0)) { alerts.append($0) }
        m.advance(to: 60 * Self.s) { alerts.append($0) }
        #expect(alerts.isEmpty)
        m.advance(to: 61 * Self.s) { alerts.append($0) }
        m.advance(to: 120 * Self.s) { alerts.append($0) }
        #expect(alerts.map(\.rule) == ["health.offline"])
        #expect(alerts.first?.summary == "seis-7 offline: no heartbeat for 61 s")
        m.heartbeat(Self.status(130)) { alerts.append($0) }
        m.advance(to: 191 * Self.s) { alerts.append($0) }
        #expect(alerts.count == 2)
        // Heartbeats of sensors the configuration does not list are not watched.
        m.heartbeat(Self.status(200, sensor: "stranger")) { alerts.append($0) }
        m.advance(to: 400 * Self.s) { alerts.append($0) }
        #expect(alerts.count == 2)
    }

    @Test func aLostFixAndAFullDisk() {
        var m = Self.monitor(HealthMonitor.Settings(gpsLostNs: 300 * Self.s, diskMinFreeBytes: 100 << 20))
        var alerts: [Alert] = []
        m.advance(to: 1_000 * Self.s) { alerts.append($0) }
        #expect(alerts.isEmpty, "no fix was ever seen: nothing is lost")
        m.fix(at: 1_000 * Self.s)
        m.advance(to: 1_301 * Self.s) { alerts.append($0) }
        #expect(alerts.map(\.rule) == ["health.gps_lost"])
        m.disk(freeBytes: 50 << 20, at: 1_302 * Self.s) { alerts.append($0) }
        m.disk(freeBytes: 40 << 20, at: 1_303 * Self.s) { alerts.append($0) }
        #expect(alerts.map(\.rule) == ["health.gps_lost", "health.disk"])
        #expect(alerts.last?.severity == .high)
    }

    @Test func noSettingsMeansNoChecks() {
        #expect(HealthMonitor.Settings().isEmpty)
        #expect(Self.configuration.health.isEmpty)
    }
}

/// The system clock against GPS time: given offsets at given times.
@Suite struct ClockHealthTests {
    static let s: Int64 = 1_000_000_000

    @Test func aClockFarFromGPSAlertsOnceUntilItComesBack() {
        var m = HealthMonitorTests.monitor(HealthMonitor.Settings(clockMaxOffsetNs: 2 * Self.s))
        var alerts: [Alert] = []
        // Seconds of input time and the offset (tenths of a second) measured then.
        for (t, tenths) in [(1, 5), (2, 21), (3, 30), (4, -25), (5, 15), (6, 9), (7, -21), (8, 40)] {
            m.clock(ClockOffset(offsetNs: Int64(tenths) * Self.s / 10, ts: Int64(t) * Self.s)) { alerts.append($0) }
        }
        // Raised at 2, still out at 3-5 (1.5 s is not within half the limit), cleared at 6, raised again at 7.
        #expect(alerts.map(\.rule) == ["health.clock", "health.clock"])
        #expect(alerts.map(\.firstTs) == [2 * Self.s, 7 * Self.s])
        #expect(alerts[0].severity == .medium)
        #expect(alerts[0].summary == "clock: system clock is 2.1 s ahead of GPS (limit 2.0 s)")
        #expect(alerts[1].summary == "clock: system clock is 2.1 s behind GPS (limit 2.0 s)")
        #expect(alerts[0].id != alerts[1].id)
    }

    @Test func withoutTheSettingNothingIsRaised() {
        var m = HealthMonitorTests.monitor(HealthMonitor.Settings(gpsLostNs: 60 * Self.s))
        var alerts: [Alert] = []
        m.clock(ClockOffset(offsetNs: 3600 * Self.s, ts: Self.s)) { alerts.append($0) }
        #expect(alerts.isEmpty)
    }

    @Test func anRMCWithDateAndTimeGivesGPSTime() {
        let fix = GPSFix(
            position: Position(lat: 1, lon: 2), sentence: "RMC", talker: "GP", secondsOfDay: 3 * 3600 + 59 * 60 + 50.5,
            day: 5, month: 6, year: 2026)
        #expect(ClockOffset.gpsTime(fix) == UTCTime.parse("2026-06-05T03:59:50.5Z"))
        var gga = fix
        gga.sentence = "GGA"
        #expect(ClockOffset.gpsTime(gga) == nil)
        var undated = fix
        undated.day = nil
        #expect(ClockOffset.gpsTime(undated) == nil)
        #expect(ClockOffset(offsetNs: -12_340_000_000, ts: 0).sentence == "system clock is 12 s behind GPS")
    }
}
