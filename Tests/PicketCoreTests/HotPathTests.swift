import Foundation
import PicketCore
import Synchronization
import Testing

/// The hot path between drivers and the processor: the SPSC ring and the hub
/// that gives each source its own ring.
@Suite("Hot path")
struct HotPathTests {
    static func drainAll(_ ring: SPSCRing) -> [RawInput] {
        var out: [RawInput] = []
        ring.drain { out.append($0) }
        return out
    }

    static func drainRound(_ hub: InputHub) -> [RawInput] {
        var out: [RawInput] = []
        hub.drainRound { out.append($0) }
        return out
    }

    static func drainUntilEmpty(_ hub: InputHub) -> [RawInput] {
        var out: [RawInput] = []
        while hub.drainRound({ out.append($0) }) > 0 {}
        return out
    }

    static func bytes(_ input: RawInput) -> [UInt8] {
        input.withBytes { Array($0) }
    }

    // MARK: SPSCRing

    @Test("SPSCRing rounds its capacity up to a power of two")
    func ringCapacity() {
        #expect(SPSCRing(capacity: 5).capacity == 8)
        #expect(SPSCRing(capacity: 8).capacity == 8)
        #expect(SPSCRing(capacity: 0).capacity == 2)
        #expect(SPSCRing(capacity: 1000).capacity == 1024)
    }

    @Test("SPSCRing keeps order and refuses a push when full")
    func ringFull() {
        let ring = SPSCRing(capacity: 8)
        for i in 0..<8 { #expect(ring.push(.edge(line: 0, rising: true, t: Int64(i)))) }
        #expect(ring.count == 8)
        #expect(ring.freeSlots == 0)
        #expect(!ring.push(.edge(line: 0, rising: true, t: 99)))
        #expect(ring.count == 8)
        #expect(Self.drainAll(ring).map(\.t) == Array(0..<8))
        #expect(ring.count == 0)
        #expect(ring.freeSlots == 8)
    }

    @Test("SPSCRing wraps around many times without losing order")
    func ringWraparound() {
        let ring = SPSCRing(capacity: 4)
        var next: Int64 = 0
        var seen: [Int64] = []
        for round in 0..<50 {
            let n = round % 4 + 1
            for _ in 0..<n {
                #expect(ring.push(.edge(line: 1, rising: next % 2 == 0, t: next)))
                next += 1
            }
            // Drain one fewer than pushed, at most, so the ring keeps a backlog.
            ring.drain(limit: max(1, n - 1)) { seen.append($0.t) }
            if ring.freeSlots < 4 { ring.drain(limit: 4 - ring.freeSlots) { seen.append($0.t) } }
        }
        ring.drain { seen.append($0.t) }
        #expect(seen == Array(0..<next))
    }

    @Test("SPSCRing.drain(limit:) hands over at most limit records")
    func ringDrainLimit() {
        let ring = SPSCRing(capacity: 16)
        for i in 0..<10 { _ = ring.push(.edge(line: 0, rising: false, t: Int64(i))) }
        var first: [Int64] = []
        #expect(ring.drain(limit: 3) { first.append($0.t) } == 3)
        #expect(first == [0, 1, 2])
        #expect(ring.count == 7)
    }

    @Test("RawInput: a serial read longer than a record becomes several records with the same time")
    func serialSplit() {
        let text = Array(String(repeating: "$PGSD,seis-7,12,FOOT,64*05\r\n", count: 4).utf8)
        var records: [RawInput] = []
        text.withUnsafeBytes { RawInput.serial(port: 3, t: 42, bytes: $0) { records.append($0) } }
        #expect(records.count == (text.count + RawInput.chunkCapacity - 1) / RawInput.chunkCapacity)
        #expect(records.allSatisfy { $0.kind == .serial && $0.t == 42 && $0.source == 3 })
        #expect(records.flatMap(Self.bytes) == text)
    }

    // MARK: InputHub

    @Test("InputHub: a storm on one line cannot starve other sources")
    func starvationFree() throws {
        let hub = InputHub(lines: 2, ports: 1, capacity: 1024, quantum: 256)
        let capacity = hub.ringCapacity
        let storm = 100_000
        for i in 0..<storm { hub.offerEdge(line: 0, rising: i % 2 == 0, t: Int64(i)) }
        // The ring holds the first `capacity` edges and the newest waits as the
        // line's pending tail; every edge between is lost and counted.
        #expect(hub.drops(of: .line(0)) == storm - capacity - 1)

        let chunk = Array("$PGSD,seis-7,12,FOOT,64*05\r\n".utf8)
        let offered = chunk.withUnsafeBytes { hub.offerSerial(port: 0, t: 200_000, bytes: $0) }
        #expect(offered)
        #expect(hub.offerEdge(line: 1, rising: true, t: 200_001))
        #expect(hub.drops(of: .port(0)) == 0)
        #expect(hub.drops(of: .line(1)) == 0)

        let round = Self.drainRound(hub)
        #expect(round.count == 256 + 1 + 1)
        let serial = try #require(round.first { $0.kind == .serial })
        #expect(serial.source == 0)
        #expect(serial.t == 200_000)
        #expect(Self.bytes(serial) == chunk)
        let other = round.filter { $0.kind == .edge && $0.source == 1 }
        #expect(other.map(\.t) == [200_001])
        #expect(round.filter { $0.kind == .edge && $0.source == 0 }.map(\.t) == Array(0..<256))
    }

    @Test("InputHub: a line's dropped tail is re-offered, so its last level is delivered")
    func droppedTailReoffered() throws {
        let hub = InputHub(lines: 1, ports: 0, capacity: 1024, quantum: 256)
        let storm = 100_000
        for i in 0..<storm { hub.offerEdge(line: 0, rising: i % 2 == 0, t: Int64(i)) }
        var delivered = Self.drainUntilEmpty(hub)
        #expect(delivered.map(\.t) == Array(0..<Int64(hub.ringCapacity)))
        hub.flush()
        delivered += Self.drainUntilEmpty(hub)
        let last = try #require(delivered.last)
        #expect(last.t == Int64(storm - 1))
        #expect(last.rising == false)
        #expect(delivered.count == hub.ringCapacity + 1)
        // Every offered edge was either delivered or dropped and counted, once.
        #expect(hub.drops(of: .line(0)) == storm - delivered.count)
        #expect(hub.totalDrops == storm - delivered.count)
        // Order is kept across the re-offered tail.
        #expect(delivered.map(\.t) == delivered.map(\.t).sorted())
    }

    @Test("InputHub: a pending tail goes out before the line's next edge")
    func tailBeforeNextEdge() {
        let hub = InputHub(lines: 1, ports: 0, capacity: 2)
        #expect(hub.offerEdge(line: 0, rising: true, t: 1))
        #expect(hub.offerEdge(line: 0, rising: false, t: 2))
        #expect(!hub.offerEdge(line: 0, rising: true, t: 3))  // pending
        _ = Self.drainUntilEmpty(hub)
        #expect(hub.offerEdge(line: 0, rising: false, t: 4))
        let next = Self.drainUntilEmpty(hub)
        #expect(next.map(\.t) == [3, 4])
        #expect(next.map(\.rising) == [true, false])
        #expect(hub.drops(of: .line(0)) == 0)
    }

    @Test("InputHub: serial overflow drops the chunk, counts it, and a gap record precedes the next chunk")
    func serialOverflowGap() {
        let hub = InputHub(lines: 1, ports: 2, capacity: 4)
        let chunk = Array("$PGSS,seis-7,3612,21.5,0*00\r\n".utf8)
        func offer(port: Int, t: Int64) -> Bool {
            chunk.withUnsafeBytes { hub.offerSerial(port: port, t: t, bytes: $0) }
        }
        for t in 1...4 { #expect(offer(port: 1, t: Int64(t))) }
        #expect(!offer(port: 1, t: 5))
        #expect(!offer(port: 1, t: 6))
        #expect(hub.drops(of: .port(1)) == 2)
        #expect(hub.droppedSerialBytes == 2 * chunk.count)
        #expect(hub.drops(of: .port(0)) == 0)
        #expect(Self.drainUntilEmpty(hub).map(\.t) == [1, 2, 3, 4])
        #expect(offer(port: 1, t: 7))
        let after = Self.drainUntilEmpty(hub)
        #expect(after.map(\.kind) == [.serialGap, .serial])
        #expect(after.map(\.source) == [1, 1])
        #expect(after.map(\.t) == [7, 7])
        // One gap record per overflow, not per chunk after it.
        #expect(offer(port: 1, t: 8))
        #expect(Self.drainUntilEmpty(hub).map(\.kind) == [.serial])
    }

    @Test("InputHub: a chunk is never half pushed; it waits for room for all its records and the gap")
    func serialAllOrNothing() {
        let hub = InputHub(lines: 0, ports: 1, capacity: 4)
        let long = Array(String(repeating: "x", count: 3 * RawInput.chunkCapacity).utf8)
        let short = Array("y".utf8)
        #expect(short.withUnsafeBytes { hub.offerSerial(port: 0, t: 1, bytes: $0) })
        #expect(short.withUnsafeBytes { hub.offerSerial(port: 0, t: 2, bytes: $0) })
        // Three records do not fit in the two free slots.
        #expect(!long.withUnsafeBytes { hub.offerSerial(port: 0, t: 3, bytes: $0) })
        #expect(hub.depth == 2)
        _ = Self.drainUntilEmpty(hub)
        // Now the gap and three records need four slots: they fit.
        #expect(long.withUnsafeBytes { hub.offerSerial(port: 0, t: 4, bytes: $0) })
        let records = Self.drainUntilEmpty(hub)
        #expect(records.map(\.kind) == [.serialGap, .serial, .serial, .serial])
        #expect(records.dropFirst().flatMap(Self.bytes) == long)
    }

    @Test("InputHub with a shared ring keeps the global order of every source")
    func sharedRingOrder() {
        let hub = InputHub(lines: 2, ports: 1, capacity: 64, sharedRing: true, quantum: 256)
        hub.offerEdge(line: 1, rising: true, t: 1)
        Array("$A".utf8).withUnsafeBytes { _ = hub.offerSerial(port: 0, t: 2, bytes: $0) }
        hub.offerEdge(line: 0, rising: true, t: 3)
        hub.offerEdge(line: 1, rising: false, t: 4)
        Array("*00\r\n".utf8).withUnsafeBytes { _ = hub.offerSerial(port: 0, t: 5, bytes: $0) }
        #expect(hub.freeSlots(for: .line(0)) == 64 - 5)
        #expect(hub.freeSlots(for: .port(0)) == 64 - 5)
        let out = Self.drainUntilEmpty(hub)
        #expect(out.map(\.t) == [1, 2, 3, 4, 5])
        #expect(out.map(\.kind) == [.edge, .serial, .edge, .edge, .serial])
        #expect(out.map(\.source) == [1, 0, 0, 1, 0])
    }

    @Test("InputHub: round robin serves every ring, starting one later each round")
    func roundRobin() {
        let hub = InputHub(lines: 2, ports: 0, capacity: 64, quantum: 2)
        for i in 0..<6 {
            hub.offerEdge(line: 0, rising: i % 2 == 0, t: Int64(i))
            hub.offerEdge(line: 1, rising: i % 2 == 0, t: Int64(100 + i))
        }
        #expect(Self.drainRound(hub).map(\.t) == [0, 1, 100, 101])
        #expect(Self.drainRound(hub).map(\.t) == [102, 103, 2, 3])
        #expect(Self.drainRound(hub).map(\.t) == [4, 5, 104, 105])
        #expect(Self.drainRound(hub).isEmpty)
    }

    /// Set by the producer thread when it has offered everything.
    final class Done: Sendable {
        let flag = Atomic<Bool>(false)
    }

    /// Runs one producer thread offering `count` edges on line 0 while this
    /// thread drains; returns (delivered, in order, last t delivered).
    static func concurrent(count: Int, capacity: Int) -> (delivered: Int, ordered: Bool, last: Int64, drops: Int) {
        let hub = InputHub(lines: 1, ports: 0, capacity: capacity, quantum: 4096)
        let done = Done()
        let producer = Thread {
            for i in 0..<count { hub.offerEdge(line: 0, rising: i % 2 == 0, t: Int64(i)) }
            done.flag.store(true, ordering: .releasing)
        }
        producer.start()
        var delivered = 0
        var ordered = true
        var last: Int64 = -1
        let consume: (RawInput) -> Void = { input in
            if input.t <= last || input.rising != (input.t % 2 == 0) { ordered = false }
            last = input.t
            delivered += 1
        }
        while !done.flag.load(ordering: .acquiring) {
            hub.drainRound(consume)
        }
        while hub.drainRound(consume) > 0 {}
        // The producer has finished: re-offering its tail from here is safe.
        hub.flush()
        while hub.drainRound(consume) > 0 {}
        return (delivered, ordered, last, hub.drops(of: .line(0)))
    }

    @Test("InputHub: a concurrent producer and a consumer that keeps up lose nothing and keep order")
    func concurrentLossless() {
        let count = 1_000_000
        let result = Self.concurrent(count: count, capacity: 1 << 20)
        #expect(result.drops == 0)
        #expect(result.delivered == count)
        #expect(result.ordered)
        #expect(result.last == Int64(count - 1))
    }

    @Test("InputHub: a concurrent producer into a small ring: delivered + dropped == offered, order kept")
    func concurrentSmallRing() {
        let count = 1_000_000
        let result = Self.concurrent(count: count, capacity: 256)
        #expect(result.delivered + result.drops == count)
        #expect(result.ordered)
        #expect(result.last == Int64(count - 1))
    }
}
