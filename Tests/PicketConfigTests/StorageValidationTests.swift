import PicketConfig
import PicketCore
import Testing

/// `storage.retain_days` and `storage.max_mb` (PRODUCT.md section 9).
@Suite struct StorageValidationTests {
    private func storage(_ mapping: String) -> String { "box: b\nsector: s\nstorage: \(mapping)\n" }

    @Test func defaultsKeepNinetyDaysWithoutABudget() {
        #expect(configuration("box: b\nsector: s\n")?.retention == RetentionSettings(retainDays: 90, maxMB: nil))
        #expect(configuration(storage("{path: /tmp/p.db}"))?.retention == RetentionSettings())
    }

    @Test func bothKeysAreRead() throws {
        let config = try #require(configuration(storage("{path: /tmp/p.db, retain_days: 30, max_mb: 2048}")))
        #expect(config.storagePath == "/tmp/p.db")
        #expect(config.retention == RetentionSettings(retainDays: 30, maxMB: 2048))
        let retainNs: Int64 = 30 * 86_400 * 1_000_000_000
        let maxBytes: Int64 = 2048 * 1_048_576
        #expect(config.retention.retainNs == retainNs)
        #expect(config.retention.maxBytes == maxBytes)
    }

    @Test(arguments: ["0", "-1", "1.5", "ninety", "[90]"])
    func retainDaysMustBeAWholeNumberOfDays(value: String) {
        let shape = value == "[90]" ? ", not a list" : ""
        #expect(
            problems(storage("{retain_days: \(value)}")) == [
                "test.yaml:3: storage.retain_days: must be a whole number of days >= 1\(shape)"
            ])
    }

    @Test func retainDaysHasAMaximum() {
        #expect(configuration(storage("{retain_days: 36500}"))?.retention.retainDays == 36_500)
        #expect(
            problems(storage("{retain_days: 36501}")) == [
                "test.yaml:3: storage.retain_days: must be at most 36500"
            ])
    }

    @Test(arguments: ["0", "-5", "2.5", "big"])
    func maxMBMustBeAWholeNumberOfMegabytes(value: String) {
        #expect(
            problems(storage("{max_mb: \(value)}")) == [
                "test.yaml:3: storage.max_mb: must be a whole number of megabytes >= 1"
            ])
    }

    @Test func quotedNumbersAreTold() {
        #expect(
            problems(storage("{max_mb: \"2048\"}")) == [
                "test.yaml:3: storage.max_mb: must be a whole number of megabytes >= 1 (remove the quotes)"
            ])
    }

    @Test func everyProblemIsReportedWithItsLine() {
        #expect(
            problems("box: b\nsector: s\nstorage:\n  retain_days: 0\n  max_mb: 0\n  size: 3\n") == [
                "test.yaml:4: storage.retain_days: must be a whole number of days >= 1",
                "test.yaml:5: storage.max_mb: must be a whole number of megabytes >= 1",
                "test.yaml:6: storage.size: unknown key (expected one of path, retain_days, max_mb)",
            ])
    }

    /// `storage.path` must name a file: `:memory:` would keep nothing, a
    /// `file:` URI is read by SQLite with options of its own (issue 10).
    @Test func storagePathMustNameAFile() {
        #expect(
            problems(storage("{path: \":memory:\"}")) == [
                "test.yaml:3: storage.path: ':memory:' would keep the database nowhere (SQLite holds it in memory "
                    + "or a temporary file, gone at exit); name a database file, e.g. /var/lib/picket/picket.db"
            ])
        #expect(
            problems("box: b\nsector: s\nstorage:\n  path: \" \"\n").first?.hasPrefix(
                "test.yaml:4: storage.path: ' ' would keep the database nowhere") == true)
        for uri in ["file:picket.db", "\"file:/var/lib/picket/picket.db?mode=memory\"", "FILE:x.db"] {
            let found = problems("box: b\nsector: s\nstorage:\n  retain_days: 3\n  path: \(uri)\n")
            #expect(found.count == 1, "\(uri): \(found)")
            #expect(
                found.first?.hasPrefix("test.yaml:5: storage.path: '") == true
                    && found.first?.contains("is an SQLite URI, not a file path; name the database file itself")
                        == true,
                "\(found)")
        }
        #expect(
            configuration(storage("{path: /var/lib/picket/file:odd.db}"))?.storagePath == "/var/lib/picket/file:odd.db")
    }
}
