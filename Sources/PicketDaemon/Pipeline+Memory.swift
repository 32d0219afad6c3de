#if canImport(Glibc)
    import Glibc
#endif

extension Pipeline {
    /// Gives back the memory a storm grew, once it is over: the backlog's
    /// arrays (kept at their largest by `removeFirst`), the processor's
    /// reorder stage, SQLite's page cache, and what glibc's allocator keeps
    /// of freed memory in its arenas (`malloc_trim`).
    public func releaseMemory() {
        releaseBuffers()
        store.releaseMemory()
        Self.trimAllocator()
    }

    /// glibc's `malloc_trim(0)`, looked up at run time (its header is not
    /// in Swift's Glibc module; another C library simply has none).
    static func trimAllocator() {
        #if canImport(Glibc)
            typealias Trim = @convention(c) (Int) -> Int32
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return }
            _ = unsafeBitCast(symbol, to: Trim.self)(0)
        #endif
    }
}
