import Synchronization

/// A bounded single-producer single-consumer ring of `RawInput` records.
///
/// Written by hand because no listed package offers a lock-free SPSC ring
/// (swift-collections' `Deque` is not thread-safe, and a lock would let a
/// stalled consumer block a driver). The producer never waits: `push` fails
/// when the ring is full and the caller applies the overflow policy. Indices
/// grow without bound and are masked, so full and empty are told apart
/// without a spare slot.
public final class SPSCRing: @unchecked Sendable {
    // @unchecked: storage is shared between exactly one producer thread and one
    // consumer thread; `head` and `tail` (release/acquire) order every access.
    private let storage: UnsafeMutablePointer<RawInput>
    private let mask: Int
    public let capacity: Int
    private let head = Atomic<Int>(0)  // next slot to read; written by the consumer
    private let tail = Atomic<Int>(0)  // next slot to write; written by the producer

    /// - Parameter capacity: rounded up to a power of two.
    public init(capacity: Int) {
        var size = 1
        while size < max(2, capacity) { size <<= 1 }
        self.capacity = size
        mask = size - 1
        storage = .allocate(capacity: size)
    }

    deinit { storage.deallocate() }

    /// Producer side. Returns false, storing nothing, when the ring is full.
    @inline(__always)
    public func push(_ input: RawInput) -> Bool {
        let t = tail.load(ordering: .relaxed)
        if t - head.load(ordering: .acquiring) >= capacity { return false }
        (storage + (t & mask)).initialize(to: input)
        tail.store(t + 1, ordering: .releasing)
        return true
    }

    /// Producer side: free slots right now (a lower bound for the producer).
    public var freeSlots: Int { capacity - (tail.load(ordering: .relaxed) - head.load(ordering: .acquiring)) }

    /// Consumer side: records waiting.
    public var count: Int { tail.load(ordering: .acquiring) - head.load(ordering: .relaxed) }

    /// Consumer side: hands up to `limit` records to `body` in order and frees
    /// their slots. Returns how many were consumed.
    @discardableResult
    public func drain(limit: Int = .max, _ body: (RawInput) throws -> Void) rethrows -> Int {
        let h = head.load(ordering: .relaxed)
        let available = min(limit, tail.load(ordering: .acquiring) - h)
        var i = 0
        defer { head.store(h + i, ordering: .releasing) }
        while i < available {
            try body(storage[(h + i) & mask])
            i += 1
        }
        return i
    }
}
