#if canImport(Glibc)
    import Glibc
#endif

/// Reads a file in large blocks and hands out its lines (without the LF),
/// found with `memchr`, from one reused buffer: no allocation per line.
/// A line longer than the buffer grows it; the last line may lack its LF.
final class LineBuffer {
    private let fd: Int32
    private let path: String
    private var storage: UnsafeMutableRawPointer
    private var capacity: Int
    /// The unread bytes are `storage[start..<end]`.
    private var start = 0
    private var end = 0
    private var atEOF = false

    static let blockSize = 1 << 20

    /// Takes ownership of `fd` (closed on deinit).
    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
        capacity = Self.blockSize
        storage = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
    }

    deinit {
        storage.deallocate()
        close(fd)
    }

    /// Hands the next line to `body`; false at the end of the file.
    @inline(__always)
    func next(_ body: (UnsafeRawBufferPointer) throws -> Void) throws -> Bool {
        while true {
            if start < end, let lf = memchr(storage + start, 0x0A, end - start) {
                let stop = storage.distance(to: lf)
                let line = UnsafeRawBufferPointer(start: storage + start, count: stop - start)
                start = stop + 1
                try body(line)
                return true
            }
            if atEOF {
                guard start < end else { return false }
                let line = UnsafeRawBufferPointer(start: storage + start, count: end - start)
                start = end
                try body(line)
                return true
            }
            try fill()
        }
    }

    /// Moves the partial line to the front (growing the buffer when it is
    /// full) and reads the next block.
    private func fill() throws(RecordingError) {
        if start > 0 {
            if end > start { memmove(storage, storage + start, end - start) }
            end -= start
            start = 0
        }
        if capacity - end < Self.blockSize / 2 {
            let bigger = UnsafeMutableRawPointer.allocate(byteCount: capacity * 2, alignment: 16)
            bigger.copyMemory(from: storage, byteCount: end)
            storage.deallocate()
            storage = bigger
            capacity *= 2
        }
        while true {
            let n = read(fd, storage + end, capacity - end)
            if n > 0 {
                end += n
                return
            }
            if n == 0 {
                atEOF = true
                return
            }
            if errno == EINTR { continue }
            throw .io(file: path, reason: String(cString: strerror(errno)))
        }
    }
}
