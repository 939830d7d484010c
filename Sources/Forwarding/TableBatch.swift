import Packet

/// One copy of the fast-path tables as the batch logic writes to it. The data plane implements
/// it over rte_fib and rte_fib6; the tests over a dictionary with a capacity.
public protocol FIBWriter {
    /// Writes one prefix: `nextHop` nil deletes it. Throws when the table refuses (full).
    mutating func write(_ prefix: IPPrefix, nextHop: UInt32?) throws
}

/// One write a batch made to the standby copy, and whether the copy took it.
public struct FIBWrite: Sendable, Equatable {
    public var prefix: IPPrefix
    /// nil deletes the prefix.
    public var nextHop: UInt32?
    /// What the copy held before, to put back a write that the other copy should not have taken.
    public var previous: UInt32?
    public var succeeded: Bool

    public init(prefix: IPPrefix, nextHop: UInt32?, previous: UInt32?, succeeded: Bool) {
        self.prefix = prefix
        self.nextHop = nextHop
        self.previous = previous
        self.succeeded = succeeded
    }
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
    /// Every write made to the standby copy, in order, refused ones and undoing ones included:
    /// the other copy gets the same writes in the same order (see `ForwardingTable.applyBatch`).
    public var writes: [FIBWrite]
    /// True when the adjacency table must be copied to the data plane again.
    public var adjacenciesChanged: Bool

    public var applied: Int { count - refused.count }

    public init(count: Int, refused: [Refusal], writes: [FIBWrite], adjacenciesChanged: Bool) {
        self.count = count
        self.refused = refused
        self.writes = writes
        self.adjacenciesChanged = adjacenciesChanged
    }
}

extension ForwardingTable {
    /// Applies a batch of changes in order, each to the table and at once through `fib` (the
    /// data plane's standby copy, which no worker reads). A change the table refuses, or whose
    /// FIB writes `fib` refuses, is undone in both and reported; the others stay. Each change
    /// sees the ones before it, as if they had been typed one after the other.
    ///
    /// The result's `writes` are every write `fib` was given, in order. The other copy, which
    /// held what `fib` held before the batch, is brought up to date with the same writes in the
    /// same order rather than with the batch's net effect: rte_fib's room is not a function of
    /// the prefixes it holds alone (rte_fib6 reserves tbl8 groups per prefix, depending on
    /// which prefixes were there when it was added and when it was deleted), so only the same
    /// sequence of writes is sure to leave the two copies alike and to succeed where it
    /// succeeded before.
    public mutating func applyBatch<Changes: Collection, W: FIBWriter>(_ batch: Changes, writingTo fib: inout W) -> TableBatchResult
    where Changes.Element == TableChange {
        var refused: [TableBatchResult.Refusal] = []
        var log: [FIBWrite] = []
        log.reserveCapacity(batch.count)
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
                    do {
                        try fib.write(write.prefix, nextHop: write.nextHop)
                    } catch {
                        log.append(FIBWrite(prefix: write.prefix, nextHop: write.nextHop, previous: write.previous, succeeded: false))
                        throw error
                    }
                    log.append(FIBWrite(prefix: write.prefix, nextHop: write.nextHop, previous: write.previous, succeeded: true))
                    written += 1
                }
            } catch {
                // Back to what the copy held; these writes restore entries just written, so
                // they need no room that was not there a moment ago.
                for write in writes[..<written].reversed() {
                    let restored = (try? fib.write(write.prefix, nextHop: write.previous)) != nil
                    log.append(FIBWrite(prefix: write.prefix, nextHop: write.previous, previous: write.nextHop, succeeded: restored))
                }
                rollbackChange()
                refused.append(.init(index: index, message: "the forwarding table refused \(Self.describe(writes[written])): \(error)"))
                continue
            }
            commitChange()
            adjacenciesTouched = adjacenciesTouched || touched
        }
        return TableBatchResult(count: batch.count, refused: refused, writes: log, adjacenciesChanged: adjacenciesTouched)
    }

    /// Gives another copy the writes a batch gave the standby one, in the same order, expecting
    /// the same outcome for each. Returns false, having done them all, if any outcome differed:
    /// the copy no longer matches the table and must be rebuilt. A write the copy took where
    /// the standby had refused it is put back first.
    public static func replay<W: FIBWriter>(_ writes: [FIBWrite], into fib: inout W) -> Bool {
        var same = true
        for write in writes {
            let took = (try? fib.write(write.prefix, nextHop: write.nextHop)) != nil
            if took != write.succeeded {
                same = false
                if took { try? fib.write(write.prefix, nextHop: write.previous) }
            }
        }
        return same
    }

    static func message(_ error: Error) -> String {
        (error as? ForwardingTableError)?.message ?? "\(error)"
    }

    static func describe(_ change: FIBChange) -> String {
        change.nextHop == nil ? "the deletion of \(change.prefix)" : "\(change.prefix)"
    }
}
