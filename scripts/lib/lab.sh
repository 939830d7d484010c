# shellcheck shell=bash
# The demo lab: two hosts in network namespaces, each joined by a veth pair to a root-namespace
# end that swiftfwd drives through af_packet. Sourced by scripts/demo; the names, MACs and
# addresses here must match config/demo.yaml.
#
#   swf-h1: eth0 02:00:00:00:01:02 <-veth-> swf-p0 02:00:00:00:00:00  (swiftfwd port p0)
#   swf-h2: eth0 02:00:00:00:02:02 <-veth-> swf-p1 02:00:00:00:00:01  (swiftfwd port p1)
#
# Only 198.18.0.0/15 and 2001:db8::/32 are used, and traffic never leaves these namespaces.
#
# A caller may reassign LAB_NS, LAB_PORT, LAB_PORT_MAC and LAB_HOST_MAC after sourcing this file
# to build a second lab beside the demo's (Tests/e2e/test_route_under_traffic.py does); port
# names must leave room for one more character within Linux's 15. Give such a lab MACs of its
# own: DPDK's af_packet PMD binds its socket to the interface only after setting up the ring, so
# a forwarder that is starting may take in a few frames from any interface of the root
# namespace, and with the same MACs it would forward another lab's frames.

LAB_NS=(swf-h1 swf-h2)
LAB_PORT=(swf-p0 swf-p1)
LAB_PORT_MAC=(02:00:00:00:00:00 02:00:00:00:00:01)
LAB_HOST_MAC=(02:00:00:00:01:02 02:00:00:00:02:02)
LAB_HOST_V4=(198.18.0.2 198.18.1.2)
LAB_HOST_V6=(2001:db8:0::2 2001:db8:1::2)
LAB_ROUTER_V4=(198.18.0.1 198.18.1.1)
LAB_ROUTER_V6=(2001:db8:0::1 2001:db8:1::1)
# 1: the hosts get permanent neighbor entries for the router (a forwarder without the kernel
# control plane answers no ARP or neighbor solicitation). 0: they resolve it like any router,
# which needs `kernel: {enabled: true}` (the demo).
LAB_STATIC_NEIGH=${LAB_STATIC_NEIGH:-1}

# lab_exists: true if any piece of the lab is present.
lab_exists() {
    local i
    for i in 0 1; do
        [ -e "/run/netns/${LAB_NS[$i]}" ] && return 0
        ip link show "${LAB_PORT[$i]}" >/dev/null 2>&1 && return 0
    done
    return 1
}

# lab_down: removes namespaces and veths. Idempotent; never fails.
lab_down() {
    local i _
    for i in 0 1; do
        # Deleting one veth end deletes its peer. Do it explicitly: `ip netns del` frees the
        # namespace's devices asynchronously, and a lab_up right after would find them.
        ip link del "${LAB_PORT[$i]}" >/dev/null 2>&1 || true
        ip netns del "${LAB_NS[$i]}" >/dev/null 2>&1 || true
    done
    for _ in $(seq 50); do
        lab_exists || return 0
        sleep 0.1
    done
    swf_log "warning: lab devices still present after teardown"
    return 0
}

# sysctl for one root-namespace veth end, by path so names with '-' need no escaping.
_lab_sysctl() { echo "$2" > "/proc/sys/net/$1"; }

# lab_up: builds the lab from scratch. Assumes lab_down ran first.
lab_up() {
    local i ns port hosteth
    for i in 0 1; do
        ns="${LAB_NS[$i]}"
        port="${LAB_PORT[$i]}"
        # Named after the port until it is inside the namespace and renamed eth0: a name from
        # the namespace's could exceed the 15 characters Linux allows.
        hosteth="${port}h"

        ip netns add "$ns"
        ip -n "$ns" link set lo up
        # No duplicate address detection: the static addresses are usable at once.
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0

        ip link add "$port" address "${LAB_PORT_MAC[$i]}" type veth \
            peer name "$hosteth" address "${LAB_HOST_MAC[$i]}"

        # The root-namespace end belongs to swiftfwd alone: no addresses, no IPv6, no ARP, no
        # forwarding, strict reverse-path filter, so the kernel never answers or routes what
        # arrives on it.
        _lab_sysctl "ipv6/conf/$port/disable_ipv6" 1
        _lab_sysctl "ipv4/conf/$port/forwarding" 0
        _lab_sysctl "ipv4/conf/$port/rp_filter" 1
        _lab_sysctl "ipv4/conf/$port/accept_local" 0
        ip link set "$port" arp off
        ip link set "$port" up

        ip link set "$hosteth" netns "$ns"
        ip -n "$ns" link set "$hosteth" name eth0
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.eth0.accept_dad=0
        ip -n "$ns" addr add "${LAB_HOST_V4[$i]}/24" dev eth0
        ip -n "$ns" addr add "${LAB_HOST_V6[$i]}/64" dev eth0 nodad
        ip -n "$ns" link set eth0 up
        # af_packet passes frames on as they are: a partial (offloaded) UDP checksum would reach
        # the other host unfinished and be dropped there.
        ip netns exec "$ns" ethtool -K eth0 tx off >/dev/null

        ip -n "$ns" route replace default via "${LAB_ROUTER_V4[$i]}" dev eth0
        ip -n "$ns" -6 route replace default via "${LAB_ROUTER_V6[$i]}" dev eth0
        [ "$LAB_STATIC_NEIGH" = 1 ] || continue
        # Static neighbors: without its kernel control plane swiftfwd answers no ARP or ND.
        ip -n "$ns" neigh replace "${LAB_ROUTER_V4[$i]}" lladdr "${LAB_PORT_MAC[$i]}" dev eth0 nud permanent
        ip -n "$ns" -6 neigh replace "${LAB_ROUTER_V6[$i]}" lladdr "${LAB_PORT_MAC[$i]}" dev eth0 nud permanent
    done
}

# lab_describe: prints the lab's layout.
lab_describe() {
    cat <<EOF
  swf-h1  eth0 ${LAB_HOST_MAC[0]}  ${LAB_HOST_V4[0]}/24 ${LAB_HOST_V6[0]}/64  <-veth-> swf-p0 ${LAB_PORT_MAC[0]} = swiftfwd p0 (${LAB_ROUTER_V4[0]}, ${LAB_ROUTER_V6[0]})
  swf-h2  eth0 ${LAB_HOST_MAC[1]}  ${LAB_HOST_V4[1]}/24 ${LAB_HOST_V6[1]}/64  <-veth-> swf-p1 ${LAB_PORT_MAC[1]} = swiftfwd p1 (${LAB_ROUTER_V4[1]}, ${LAB_ROUTER_V6[1]})
EOF
}
