import Packet

/// One copy of the fast-path tables as the batch logic writes to it. The data plane implements
/// it over rte_fib and rte_fib6; the tests over a dictionary with a capacity.
public protocol FIBWriter {
    /// Writes one prefix: `nextHop` nil deletes it. Throws when the table refuses (full).
    mutating func write(_ prefix: IPPrefix, nextHop: UInt32?) throws
}

/// What a batch did.
public struct TableBatchResult: Sendable {
    public struct Refusal: Sendable, Equatable {
        /// The change's position in the batch, from 0.
        public var index: Int
        public var message: String

        public init(index: Int, message: String) {
            self.index = index
            self.message = message
        }
    }

    /// The changes the batch was given.
    public var count: Int
    /// The changes refused, in batch order; every other change was applied.
    public var refused: [Refusal]
    /// The batch's net effect on the FIB, one entry per prefix whose next hop differs from
    /// before the batch, deletes first: what the other table copy needs to catch up (see
    /// `ForwardingTable.applyBatch`).
    public var fibChanges: [ForwardingTable.FIBChange]
    /// True when the adjacency table must be copied to the data plane again.
    public var adjacenciesChanged: Bool

    public var applied: Int { count - refused.count }

    public init(count: Int, refused: [Refusal], fibChanges: [ForwardingTable.FIBChange], adjacenciesChanged: Bool) {
        self.count = count
        self.refused = refused
        self.fibChanges = fibChanges
        self.adjacenciesChanged = adjacenciesChanged
    }
}

extension ForwardingTable {
    /// Applies a batch of changes in order, each to the table and at once through `fib` (the
    /// data plane's standby copy, which no worker reads). A change the table refuses, or whose
    /// FIB writes `fib` refuses, is undone in both and reported; the others stay. Each change
    /// sees the ones before it, as if they had been typed one after the other.
    ///
    /// The result's `fibChanges` bring a copy that held the table as it was before the batch to
    /// the table as it is after it. Deletes come first, then additions and replacements, so
    /// every intermediate state of that copy holds a subset of the final prefixes, which the
    /// standby copy (same size) just held: the replay cannot run out of room where the batch
    /// did not.
    public mutating func applyBatch<Changes: Collection, W: FIBWriter>(_ batch: Changes, writingTo fib: inout W) -> TableBatchResult
    where Changes.Element == TableChange {
        var refused: [TableBatchResult.Refusal] = []
        var net: [IPPrefix: FIBChange] = [:]
        var adjacenciesTouched = false
        for (index, change) in batch.enumerated() {
            beginChange()
            do {
                try apply(change)
            } catch {
                rollbackChange()
                refused.append(.init(index: index, message: Self.message(error)))
                continue
            }
            let touched = adjacenciesChanged
            let writes = takeChanges()
            var written = 0
            do {
                for write in writes {
                    try fib.write(write.prefix, nextHop: write.nextHop)
                    written += 1
                }
            } catch {
                // Back to what the copy held; these writes restore entries just written, so
                // they need no room that was not there a moment ago.
                for write in writes[..<written].reversed() { try? fib.write(write.prefix, nextHop: write.previous) }
                rollbackChange()
                refused.append(.init(index: index, message: "the forwarding table refused \(Self.describe(writes[written])): \(error)"))
                continue
            }
            commitChange()
            adjacenciesTouched = adjacenciesTouched || touched
            for write in writes { Self.merge(write, into: &net) }
        }
        var deletes: [FIBChange] = []
        var others: [FIBChange] = []
        for change in net.values {
            if change.nextHop == nil { deletes.append(change) } else { others.append(change) }
        }
        return TableBatchResult(count: batch.count, refused: refused, fibChanges: deletes + others,
                                adjacenciesChanged: adjacenciesTouched)
    }

    /// Folds one more write to a prefix into the batch's net change for it.
    static func merge(_ write: FIBChange, into net: inout [IPPrefix: FIBChange]) {
        guard var existing = net[write.prefix] else {
            net[write.prefix] = write
            return
        }
        existing.nextHop = write.nextHop
        net[write.prefix] = existing.nextHop == existing.previous ? nil : existing
    }

    static func message(_ error: Error) -> String {
        (error as? ForwardingTableError)?.message ?? "\(error)"
    }

    static func describe(_ change: FIBChange) -> String {
        change.nextHop == nil ? "the deletion of \(change.prefix)" : "\(change.prefix)"
    }
}
