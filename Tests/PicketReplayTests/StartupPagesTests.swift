import Foundation
import PicketTestSupport
import Testing

@testable import PicketDaemon

#if canImport(Glibc)
    import Glibc
#endif

/// The daemon hands the kernel back its executable's start-up pages.
@Suite struct StartupPagesTests {
    @Test func onlyTheExecutablesReadOnlyMappingsAreChosen() {
        let maps = """
            55d6b27a2000-55d6b3027000 r--p 00000000 fe:00 5629820                    /usr/bin/picket
            55d6b3028000-55d6b4ec3000 r-xp 00885000 fe:00 5629820                    /usr/bin/picket
            55d6b5006000-55d6b75a6000 rw-p 02861000 fe:00 5629820                    /usr/bin/picket
            7f0000000000-7f0000001000 r-xp 00000000 fe:00 1234                       /usr/lib/libc.so.6
            7f0000002000-7f0000003000 r--p 00000000 fe:00 99                         /usr/bin/picket-other
            7f0000004000-7f0000005000 rw-p 00000000 00:00 0
            7f0000006000-7f0000007000 r--p 00000000 fe:00 77                         /opt/my dir/picket
            """
        #expect(
            StartupPages.readOnlyMappings(maps, of: "/usr/bin/picket") == [
                0x55d6_b27a_2000..<0x55d6_b302_7000, 0x55d6_b302_8000..<0x55d6_b4ec_3000,
            ])
        // A path with a space in it.
        #expect(StartupPages.readOnlyMappings(maps, of: "/opt/my dir/picket") == [0x7f00_0000_6000..<0x7f00_0000_7000])
    }

    /// The advice on a read-only file mapping of the test's own (never on
    /// the test runner's code: paging out a debug test binary of hundreds
    /// of megabytes stalls every test running beside it): the kernel takes
    /// it, and the pages read back the same.
    @Test func aReadOnlyMappingIsAdvisedAndReadsBackTheSame() throws {
        let dir = try temporaryDirectory("startup-pages")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("pages").path
        let size = 1 << 20
        let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let fd = open(path, O_RDONLY)
        try #require(fd >= 0)
        defer { close(fd) }
        let mapped = try #require(mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0))
        try #require(mapped != MAP_FAILED)
        defer { munmap(mapped, size) }
        let view = UnsafeRawBufferPointer(start: mapped, count: size)
        #expect(view.reduce(0) { $0 &+ Int($1) } == bytes.reduce(0) { $0 &+ Int($1) })
        let start = UInt64(UInt(bitPattern: mapped))
        #expect(StartupPages.advise([start..<start + UInt64(size)]) == size)
        #expect(Array(view) == bytes)
        // A range the kernel refuses (not mapped, not page-aligned) is not counted.
        #expect(StartupPages.advise([start + 1..<start + 4097]) == 0)
    }
}
