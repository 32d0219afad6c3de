import Foundation
import Testing

@testable import PicketDaemon

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

    /// On this process (the test runner): its text and read-only data are
    /// advised, and it keeps running (the pages come back when touched).
    @Test func theRunningExecutableIsAdvised() {
        #expect(StartupPages.release() > 0)
        #expect(StartupPages.readOnlyMappings("", of: "/x").isEmpty)
    }
}
