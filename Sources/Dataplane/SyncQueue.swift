import Netlink

/// The kernel's changes the sync thread has read and not applied yet, oldest first, and how
/// many of them to apply next.
///
/// Why a queue between reading and applying: the fast path takes a full table's routes slowly
/// (two rte_fib writes each, one per table copy: tens of thousands a second here, measured by
/// `scripts/bench_sync`), and a routing daemon or `ip -batch` adds them faster. Nothing reads the
/// event socket while a batch is applied, so a batch that takes seconds lets the socket's buffer
/// (about 160,000 route notifications) fill up; the kernel then drops the rest (ENOBUFS) and the
/// mirror has to dump the whole table again. Reading is cheap next to applying, so the thread
/// empties the socket into this queue first and then applies only a chunk sized to take about
/// `targetNanoseconds`, and reads again: the backlog waits in memory, where nothing is lost, and
/// the lag `show sync` reports includes its time in the queue.
public struct SyncQueue {
    private var items: [TimedChange] = []
    private var head = 0
    /// What one change cost in the last chunk applied (the fast path's rate, which falls as
    /// the table grows); the first chunk assumes `initialNanosPerChange`.
    public private(set) var nanosPerChange: Double
    public let targetNanoseconds: UInt64
    public let minimumChunk: Int
    public let maximumChunk: Int
    /// The most changes ever waiting at once.
    public private(set) var largestBacklog = 0

    public init(targetNanoseconds: UInt64 = 50_000_000, minimumChunk: Int = 256, maximumChunk: Int = 65536,
                initialNanosPerChange: Double = 20_000) {
        self.targetNanoseconds = targetNanoseconds
        self.minimumChunk = minimumChunk
        self.maximumChunk = maximumChunk
        nanosPerChange = initialNanosPerChange
    }

    public var count: Int { items.count - head }
    public var isEmpty: Bool { head == items.count }

    public mutating func append(_ changes: [TimedChange]) {
        guard !changes.isEmpty else { return }
        items += changes
        largestBacklog = max(largestBacklog, count)
    }

    /// How many changes the next chunk takes: what should apply in `targetNanoseconds` at the
    /// last measured cost, within the bounds (a lone change is applied at once).
    public var chunkSize: Int {
        let fitting = Double(targetNanoseconds) / max(nanosPerChange, 1)
        return min(count, max(minimumChunk, min(maximumChunk, Int(fitting.rounded(.down)))))
    }

    /// Removes and returns the oldest `chunkSize` changes.
    public mutating func takeChunk() -> [TimedChange] {
        let n = chunkSize
        let chunk = Array(items[head..<(head + n)])
        head += n
        if head == items.count {
            items.removeAll(keepingCapacity: items.count <= 4 * maximumChunk)
            head = 0
        } else if head >= maximumChunk && head * 2 >= items.count {
            // Drop what was taken once it is the larger part, so the array does not grow
            // without bound while a long load keeps it from ever emptying.
            items.removeFirst(head)
            head = 0
        }
        return chunk
    }

    /// Learns the fast path's current cost from a chunk just applied. A dearer cost is taken at
    /// once; a cheaper one at most halves the estimate per chunk. Why: many changes cost the
    /// fast path nothing (a neighbor refreshed with the same MAC, a connected route, a delete
    /// of something never installed), and one chunk of those would otherwise make the next
    /// chunk the maximum; if that one is real route adds at tens of microseconds each, it
    /// holds the thread for seconds while the socket fills, which the queue is there to avoid.
    public mutating func record(applied: Int, nanoseconds: UInt64) {
        guard applied > 0 else { return }
        nanosPerChange = max(Double(nanoseconds) / Double(applied), nanosPerChange / 2)
    }
}
