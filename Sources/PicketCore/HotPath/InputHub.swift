import Synchronization

/// Where drivers hand raw inputs to the processing stage.
///
/// Live, each source (every GPIO line, every serial port) gets its own ring
/// and the consumer drains them round robin, at most `quantum` records from
/// one ring per turn: a storm of 100,000 bounce edges on one line fills that
/// line's ring and is dropped there, while a seismic detection from another
/// sensor waits at most one quantum. In a replay every source shares one
/// ring, so inputs are processed exactly in the order of the file.
///
/// Overflow policy, per source, never blocking the driver:
/// - GPIO: the newest edge that does not fit is remembered as the line's
///   pending tail; it is re-offered before the next edge (and on `flush`), so
///   the debouncer still converges on the line's true level. Only an edge that
///   is never delivered (a pending tail replaced by a newer one) counts as dropped.
/// - Serial: the newest chunk is dropped, its bytes counted, and a gap record
///   precedes the next chunk so the framer discards the broken sentence.
public final class InputHub: @unchecked Sendable {
    // @unchecked: each producer slot (`Producer`) is used by one driver thread,
    // the rings are SPSC, and the counters are atomics.

    /// Sources as the hub numbers them: GPIO lines first, then serial ports.
    public enum Source: Sendable, Hashable {
        case line(Int)
        case port(Int)
    }

    public let lineCount: Int
    public let portCount: Int
    private let rings: [SPSCRing]
    private let ringOfSource: [Int]
    /// Per-source overflow state (lines then ports).
    let slots: [SourceSlot]
    private let droppedBytes = Atomic<Int>(0)
    private let sleeping = Atomic<Bool>(false)
    private let doorbell = Doorbell()
    private var cursor = 0
    public let quantum: Int

    /// - Parameters:
    ///   - sharedRing: one ring for every source, in arrival order (replay).
    public init(lines: Int, ports: Int, capacity: Int = 4096, sharedRing: Bool = false, quantum: Int = 256) {
        lineCount = lines
        portCount = ports
        let sources = lines + ports
        if sharedRing {
            rings = [SPSCRing(capacity: capacity)]
            ringOfSource = Array(repeating: 0, count: sources)
        } else {
            rings = (0..<max(1, sources)).map { _ in SPSCRing(capacity: capacity) }
            ringOfSource = Array(0..<sources)
        }
        slots = (0..<sources).map { _ in SourceSlot() }
        self.quantum = quantum
    }

    func index(_ source: Source) -> Int {
        switch source {
        case .line(let l): l
        case .port(let p): lineCount + p
        }
    }

    // MARK: Producer side

    /// Offers a GPIO edge. Returns false when it did not fit and waits as the
    /// line's pending tail (an older pending edge it replaces is counted as dropped).
    @discardableResult
    public func offerEdge(line: Int, rising: Bool, t: Int64) -> Bool {
        let ring = rings[ringOfSource[line]]
        let slot = slots[line]
        // Only this producer sets a tail, so the flag read without the lock
        // is exact: the lock is taken only when a tail waits.
        if slot.hasTail.load(ordering: .relaxed), let tail = slot.takeTail() {
            if !ring.push(tail) {
                slot.setTail(.edge(line: line, rising: rising, t: t))
                slot.dropped.add(1, ordering: .relaxed)
                return false
            }
        }
        guard ring.push(.edge(line: line, rising: rising, t: t)) else {
            slot.setTail(.edge(line: line, rising: rising, t: t))
            return false
        }
        wake(line)
        return true
    }

    /// Offers one read of serial bytes. Returns false when it was dropped.
    @discardableResult
    public func offerSerial(port: Int, t: Int64, bytes: UnsafeRawBufferPointer) -> Bool {
        let source = lineCount + port
        let ring = rings[ringOfSource[source]]
        let records = max(1, (bytes.count + RawInput.chunkCapacity - 1) / RawInput.chunkCapacity)
        let gap = slots[source].gap.load(ordering: .relaxed)
        guard ring.freeSlots >= records + (gap ? 1 : 0) else {
            slots[source].gap.store(true, ordering: .relaxed)
            slots[source].dropped.add(1, ordering: .relaxed)
            droppedBytes.add(bytes.count, ordering: .relaxed)
            return false
        }
        if gap {
            _ = ring.push(.gap(port: port, t: t))
            slots[source].gap.store(false, ordering: .relaxed)
        }
        RawInput.serial(port: port, t: t, bytes: bytes) { _ = ring.push($0) }
        wake(source)
        return true
    }

    /// Producer side: the port's stream broke (reconnect); a gap record goes
    /// ahead of its next bytes, so the framer drops a half sentence.
    public func offerGap(port: Int, t: Int64) {
        let source = lineCount + port
        if !rings[ringOfSource[source]].push(.gap(port: port, t: t)) {
            slots[source].gap.store(true, ordering: .relaxed)
        }
        wake(source)
    }

    /// Producer side: re-offers pending GPIO tails. Only the producer of the
    /// GPIO lines may call it (each ring has one producer): the driver that
    /// feeds the lines, when it is idle and when it stops. Returns false
    /// while a tail is still held back.
    @discardableResult
    public func flush() -> Bool {
        var clear = true
        for line in 0..<lineCount {
            let tail = slots[line].takeTail()
            if let tail, !rings[ringOfSource[line]].push(tail) {
                let kept = slots[line].keepTail(tail)
                // A newer edge took its place meanwhile: this one is lost.
                if !kept { slots[line].dropped.add(1, ordering: .relaxed) }
                clear = false
            }
        }
        wake(0)
        return clear
    }

    @inline(__always)
    private func wake(_ source: Int) {
        if sleeping.load(ordering: .relaxed), sleeping.exchange(false, ordering: .acquiringAndReleasing) {
            doorbell.ring()
        }
    }

    /// Free slots in the ring that `source` feeds (for lock-step producers
    /// that must never overflow, such as a replay).
    public func freeSlots(for source: Source) -> Int { rings[ringOfSource[index(source)]].freeSlots }

    /// Slots the ring holds in all.
    public var ringCapacity: Int { rings[0].capacity }

    // MARK: Consumer side

    /// Dropped records per source and dropped serial bytes, for counters.
    public func drops(of source: Source) -> Int { slots[index(source)].dropped.load(ordering: .relaxed) }
    public var droppedSerialBytes: Int { droppedBytes.load(ordering: .relaxed) }
    public var totalDrops: Int { slots.reduce(0) { $0 + $1.dropped.load(ordering: .relaxed) } }

    /// Records waiting in all rings.
    public var depth: Int { rings.reduce(0) { $0 + $1.count } }

    /// One fair round: up to `quantum` records from each ring, starting after
    /// the ring served first last time. Returns how many were handled.
    @discardableResult
    public func drainRound(_ body: (RawInput) throws -> Void) rethrows -> Int {
        var total = 0
        let n = rings.count
        for step in 0..<n {
            total += try rings[(cursor + step) % n].drain(limit: quantum, body)
        }
        cursor = (cursor + 1) % n
        return total
    }

    /// Consumer side: waits until a producer rings or `timeoutNs` passes.
    public func wait(timeoutNs: Int64) {
        sleeping.store(true, ordering: .releasing)
        if depth > 0 {
            sleeping.store(false, ordering: .relaxed)
            return
        }
        doorbell.wait(timeoutNs: timeoutNs)
        sleeping.store(false, ordering: .relaxed)
    }
}

/// Overflow bookkeeping of one source.
final class SourceSlot: Sendable {
    let dropped = Atomic<Int>(0)
    /// GPIO: the newest edge that did not fit, re-offered before the next one.
    private let tail = Mutex<RawInput?>(nil)
    /// Whether `tail` holds an edge; set and cleared with it, under its lock.
    let hasTail = Atomic<Bool>(false)

    func takeTail() -> RawInput? {
        tail.withLock { pending -> RawInput? in
            defer {
                pending = nil
                hasTail.store(false, ordering: .relaxed)
            }
            return pending
        }
    }

    func setTail(_ edge: RawInput) {
        tail.withLock {
            $0 = edge
            hasTail.store(true, ordering: .relaxed)
        }
    }

    /// Puts back a tail that still did not fit, unless a newer one took its place.
    func keepTail(_ edge: RawInput) -> Bool {
        tail.withLock { pending -> Bool in
            guard pending == nil else { return false }
            pending = edge
            hasTail.store(true, ordering: .relaxed)
            return true
        }
    }
    /// Serial: bytes were dropped; a gap record must precede the next chunk.
    let gap = Atomic<Bool>(false)
    /// The source's watermark (`InputHub+Watermark.swift`); `Int64.min`: unknown.
    let mark = Atomic<Int64>(.min)
}
