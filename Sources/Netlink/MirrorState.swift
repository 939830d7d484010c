import Packet

/// Which interfaces the mirror follows: the forwarder's twin interfaces.
public enum InterfaceFilter: Hashable, Sendable {
    /// Every interface (tests, diagnostics).
    case all
    case indexes(Set<Int32>)
    /// By name: a twin that is deleted and created again (new ifindex) is followed.
    case names(Set<String>)
}

/// The kernel's state as the mirror knows it, and the rules that turn it into what is mirrored.
/// Pure logic, no sockets: `KernelMirror` feeds it decoded messages and dumps.
///
/// What is kept: every link and every route of the chosen table whatever its interface (the
/// kernel's preferred route for a prefix may leave through an interface that is not a twin,
/// and that must hide the prefix rather than let a worse route show through), and every
/// usable neighbor and address. What is shown (the "effective" view, whose changes are
/// reported) is filtered by the twin set:
/// - a route: for each prefix, the route with the lowest metric (RTA_PRIORITY) among those
///   with TOS 0 (the fast path does not look at TOS). A unicast route keeps only its next hops
///   that are on a twin and not dead; with none left, the prefix is not mirrored. Blackhole,
///   unreachable and prohibit routes are shown with no next hops. Other types (local, throw,
///   ...) are shown as they are: the consumer decides.
/// - a neighbor: usable (see `NeighborState.usable`), with an Ethernet address, on a twin.
/// - links and addresses: those of twins.
struct MirrorState {
    let table: UInt32
    let filter: InterfaceFilter

    private(set) var links: [Int32: KernelLink] = [:]
    /// The ifindexes of the twins; nil means every interface.
    private(set) var twins: Set<Int32>?
    private(set) var routes: [IPPrefix: RouteSlot] = [:]
    private(set) var neighbors: [NeighborKey: KernelNeighbor] = [:]
    private(set) var addresses: [AddressKey: KernelAddress] = [:]

    init(table: UInt32, filter: InterfaceFilter) {
        self.table = table
        self.filter = filter
        twins = MirrorState.resolveTwins(filter, links: [:])
    }

    struct NeighborKey: Hashable {
        var ifindex: Int32
        var address: IPAddress
    }

    struct AddressKey: Hashable {
        var ifindex: Int32
        var address: IPAddress
        var prefixLength: UInt8
    }

    /// The routes of one prefix, kept apart by metric. Nearly always one, so it is held inline
    /// and the array stays empty (no allocation per prefix for a full table).
    struct RouteSlot {
        var first: KernelRoute
        var others: [KernelRoute] = []

        var all: [KernelRoute] { [first] + others }

        /// Index -1 is `first`, 0... are `others`.
        func index(priority: UInt32) -> Int? {
            if first.priority == priority { return -1 }
            return others.firstIndex { $0.priority == priority }
        }

        subscript(index: Int) -> KernelRoute {
            get { index < 0 ? first : others[index] }
            set { if index < 0 { first = newValue } else { others[index] = newValue } }
        }

        /// Removes one route; nil when the slot is left empty.
        func removing(at index: Int) -> RouteSlot? {
            if index >= 0 {
                var copy = self
                copy.others.remove(at: index)
                return copy
            }
            guard let next = others.first else { return nil }
            return RouteSlot(first: next, others: Array(others.dropFirst()))
        }
    }

    static func resolveTwins(_ filter: InterfaceFilter, links: [Int32: KernelLink]) -> Set<Int32>? {
        switch filter {
        case .all: return nil
        case .indexes(let set): return set
        case .names(let names): return Set(links.values.filter { names.contains($0.name) }.map(\.ifindex))
        }
    }

    func isTwin(_ ifindex: Int32) -> Bool { twins?.contains(ifindex) ?? true }

    // MARK: the effective view

    func effectiveRoute(_ prefix: IPPrefix) -> KernelRoute? {
        guard let slot = routes[prefix] else { return nil }
        var best = slot.first
        for r in slot.others where r.priority < best.priority { best = r }
        switch best.type {
        case .unicast:
            best.nextHops = best.nextHops.filter { !$0.isDead && isTwin($0.ifindex) }
            return best.nextHops.isEmpty ? nil : best
        case .blackhole, .unreachable, .prohibit:
            best.nextHops = []
            return best
        default:
            return best
        }
    }

    func effectiveNeighbor(_ key: NeighborKey) -> KernelNeighbor? {
        guard isTwin(key.ifindex) else { return nil }
        return neighbors[key]
    }

    /// Every mirrored route, for a consumer that wants the whole view.
    var effectiveRoutes: [KernelRoute] { routes.keys.compactMap { effectiveRoute($0) } }
    var effectiveNeighbors: [KernelNeighbor] { neighbors.values.filter { isTwin($0.ifindex) } }
    var effectiveLinks: [KernelLink] { links.values.filter { isTwin($0.ifindex) } }
    var effectiveAddresses: [KernelAddress] { addresses.values.filter { isTwin($0.ifindex) } }

    // MARK: applying messages

    struct Outcome {
        var changes: [MirrorChange] = []
        /// The kernel changed state it does not announce (a twin went down, an IPv4 address
        /// went away): read everything again.
        var needsResync = false
    }

    /// Applies one notification (or, with `fromDump`, one dumped object) and reports how the
    /// effective view changed.
    mutating func apply(_ message: KernelMessage, fromDump: Bool = false) -> Outcome {
        switch message.object {
        case .route(let route): return applyRoute(route, message: message, fromDump: fromDump)
        case .neighbor(let neighbor): return applyNeighbor(neighbor, operation: message.operation)
        case .link(let link): return applyLink(link, operation: message.operation)
        case .address(let address): return applyAddress(address, operation: message.operation)
        }
    }

    private mutating func applyRoute(_ route: KernelRoute, message: KernelMessage, fromDump: Bool) -> Outcome {
        guard route.table == table, route.tos == 0 else { return Outcome() }
        let prefix = route.prefix
        let before = effectiveRoute(prefix)
        let isIPv6: Bool
        if case .v6 = prefix { isIPv6 = true } else { isIPv6 = false }

        var slot = routes[prefix]
        let index = slot?.index(priority: route.priority)
        switch message.operation {
        case .new:
            if var s = slot, let i = index {
                // IPv4 keeps routes of equal prefix and metric side by side (`ip route append`)
                // and uses the first; a dump lists them in that order. IPv6 announces the whole
                // multipath set, appended or not, so it always replaces.
                let keepFirst = !isIPv6 && (fromDump || message.isAppend)
                if !keepFirst { s[i] = route }
                slot = s
            } else if var s = slot {
                s.others.append(route)
                slot = s
            } else {
                slot = RouteSlot(first: route)
            }
        case .delete:
            guard let s = slot, let i = index else { return Outcome() }
            // IPv6 announces the removal of one next hop of a multipath route as a delete
            // carrying that next hop alone; the others stay. A delete naming none of the next
            // hops we hold was already applied: it is a notification replayed over a dump
            // taken after it (see KernelMirror), and must not remove the route.
            var remaining: [NextHop] = []
            if isIPv6 && !route.nextHops.isEmpty {
                let gone = Set(route.nextHops.map { HopIdentity(gateway: $0.gateway, ifindex: $0.ifindex) })
                remaining = s[i].nextHops.filter { !gone.contains(HopIdentity(gateway: $0.gateway, ifindex: $0.ifindex)) }
                if remaining.count == s[i].nextHops.count { return Outcome() }
            }
            if remaining.isEmpty {
                slot = s.removing(at: i)
            } else {
                var changed = s
                changed[i].nextHops = remaining
                slot = changed
            }
        }
        routes[prefix] = slot
        let after = effectiveRoute(prefix)
        return Outcome(changes: MirrorState.routeChange(before, after).map { [$0] } ?? [])
    }

    private struct HopIdentity: Hashable {
        var gateway: IPAddress?
        var ifindex: Int32
    }

    static func routeChange(_ before: KernelRoute?, _ after: KernelRoute?) -> MirrorChange? {
        switch (before, after) {
        case (nil, let new?): return .routeAdded(new)
        case (let old?, nil): return .routeDeleted(old)
        case (let old?, let new?) where old != new: return .routeReplaced(old: old, new: new)
        default: return nil
        }
    }

    private mutating func applyNeighbor(_ neighbor: KernelNeighbor, operation: KernelMessage.Operation) -> Outcome {
        let key = NeighborKey(ifindex: neighbor.ifindex, address: neighbor.address)
        let before = effectiveNeighbor(key)
        if operation == .new && neighbor.isUsable {
            neighbors[key] = neighbor
        } else {
            neighbors[key] = nil
        }
        let after = effectiveNeighbor(key)
        return Outcome(changes: MirrorState.neighborChange(before, after).map { [$0] } ?? [])
    }

    static func neighborChange(_ before: KernelNeighbor?, _ after: KernelNeighbor?) -> MirrorChange? {
        switch (before, after) {
        case (nil, let new?): return .neighborAdded(new)
        case (let old?, nil): return .neighborDeleted(old)
        case (let old?, let new?) where old.mac != new.mac: return .neighborReplaced(old: old, new: new)
        default: return nil
        }
    }

    private mutating func applyLink(_ link: KernelLink, operation: KernelMessage.Operation) -> Outcome {
        let old = links[link.ifindex]
        let wasTwin = isTwin(link.ifindex)
        let before = self
        links[link.ifindex] = operation == .new ? link : nil
        let newTwins = MirrorState.resolveTwins(filter, links: links)
        if newTwins != twins {
            // A twin appeared, went, or was renamed: what is shown through it changes at once,
            // all of it, so compare the whole view.
            twins = newTwins
            return Outcome(changes: MirrorState.diff(from: before, to: self), needsResync: operation == .delete)
        }
        var outcome = Outcome()
        guard wasTwin || isTwin(link.ifindex) else { return outcome }
        switch operation {
        case .new:
            if old != link { outcome.changes.append(.linkChanged(link)) }
            // IPv4 drops the routes through an interface that goes down, and marks next hops
            // dead, without a notification; IPv6 announces its removals, but not the routes
            // coming back. Only a dump tells.
            if let old, old.isUp != link.isUp { outcome.needsResync = true }
        case .delete:
            if let old { outcome.changes.append(.linkDeleted(old)) }
            outcome.needsResync = true
        }
        return outcome
    }

    private mutating func applyAddress(_ address: KernelAddress, operation: KernelMessage.Operation) -> Outcome {
        let key = AddressKey(ifindex: address.ifindex, address: address.address, prefixLength: address.prefixLength)
        let existed = addresses[key] != nil
        addresses[key] = operation == .new ? address : nil
        var outcome = Outcome()
        guard isTwin(address.ifindex) else { return outcome }
        switch (existed, operation) {
        case (false, .new): outcome.changes.append(.addressAdded(address))
        case (true, .delete):
            outcome.changes.append(.addressDeleted(address))
            // Removing an IPv4 address flushes the routes that used it as their source, silently.
            if case .v4 = address.address { outcome.needsResync = true }
        default: break
        }
        return outcome
    }

    // MARK: whole-view comparison

    /// The changes that turn `old`'s effective view into `new`'s: links and addresses first,
    /// then neighbors, then routes, so a consumer sees a next hop's interface before it.
    static func diff(from old: MirrorState, to new: MirrorState) -> [MirrorChange] {
        var changes: [MirrorChange] = []
        for link in new.effectiveLinks.sorted(by: { $0.ifindex < $1.ifindex }) {
            let previous = old.isTwin(link.ifindex) ? old.links[link.ifindex] : nil
            if previous != link { changes.append(.linkChanged(link)) }
        }
        for link in old.effectiveLinks.sorted(by: { $0.ifindex < $1.ifindex }) where !new.isTwin(link.ifindex) || new.links[link.ifindex] == nil {
            changes.append(.linkDeleted(link))
        }
        for (key, address) in new.addresses where new.isTwin(key.ifindex) && !(old.isTwin(key.ifindex) && old.addresses[key] != nil) {
            changes.append(.addressAdded(address))
        }
        for (key, address) in old.addresses where old.isTwin(key.ifindex) && !(new.isTwin(key.ifindex) && new.addresses[key] != nil) {
            changes.append(.addressDeleted(address))
        }
        for key in new.neighbors.keys {
            if let c = neighborChange(old.effectiveNeighbor(key), new.effectiveNeighbor(key)) { changes.append(c) }
        }
        for key in old.neighbors.keys where new.neighbors[key] == nil {
            if let c = neighborChange(old.effectiveNeighbor(key), nil) { changes.append(c) }
        }
        for prefix in new.routes.keys {
            if let c = routeChange(old.effectiveRoute(prefix), new.effectiveRoute(prefix)) { changes.append(c) }
        }
        for prefix in old.routes.keys where new.routes[prefix] == nil {
            if let c = routeChange(old.effectiveRoute(prefix), nil) { changes.append(c) }
        }
        return changes
    }

    /// The same filters with no objects: where a full dump starts.
    func emptied() -> MirrorState { MirrorState(table: table, filter: filter) }
}
