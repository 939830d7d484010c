/*
 * cdpdk_fib.h: the tbl8 counters of rte_fib and rte_fib6, which DPDK keeps private.
 *
 * Why: DPDK 22.11's rte_fib6 (TRIE) reserves tbl8 groups when a prefix longer than /24 is
 * added and forgets to give them back when it is deleted, so churn of such prefixes runs the
 * table out of room (Tests/DPDKTests/FIBChurnTests.swift shows it). swiftfwd gives the
 * reservation back itself (IPv6FIB.delete) and reports how full each table is. Both data-plane
 * structs (lib/fib/dir24_8.h struct dir24_8_tbl, lib/fib/trie.h struct rte_trie_tbl) begin
 * with the same two 32-bit fields, unchanged from DPDK 20.11 to 24.11: the number of tbl8
 * groups, then the number reserved. No logic here: a pointer to those two fields.
 */
#ifndef CDPDK_FIB_H
#define CDPDK_FIB_H

#include <stdint.h>
#include <rte_fib.h>
#include <rte_fib6.h>
#include <rte_rib.h>
#include <rte_rib6.h>

/* [0] tbl8 groups in the table, [1] groups reserved. */
static inline uint32_t *cdpdk_fib_tbl8_counters(struct rte_fib *fib) {
    return (uint32_t *)rte_fib_get_dp(fib);
}

static inline uint32_t *cdpdk_fib6_tbl8_counters(struct rte_fib6 *fib) {
    return (uint32_t *)rte_fib6_get_dp(fib);
}

/*
 * The IPv4 table read in place by the worker's fast pass: one DIR-24-8 lookup inlined where the
 * destination address is read, instead of an address array and a call to rte_fib_lookup_bulk
 * per burst (about 2.5% of the worker's cycles in perf, plus the array's stores and loads).
 *
 * The table is DPDK-private (lib/fib/dir24_8.h struct dir24_8_tbl, unchanged from 20.11 to
 * 24.11): three uint32 counters, the next-hop size, the default next hop, the tbl8 pointer,
 * the tbl8 bitmap pointer, then tbl24 at the next cache line. An entry of a table with 4-byte
 * next hops is (next hop << 1) | extended; an extended tbl24 entry names a 256-entry tbl8
 * group. cdpdk_fib_dir24_8_view checks every field it can against what swiftfwd asked for
 * (tbl8 groups, rounded up to a multiple of 64 as DPDK does; next-hop size; default next hop)
 * and refuses the table when one differs: the worker then keeps rte_fib_lookup_bulk. Tests/DPDKTests/FIBTests.swift compares both lookups.
 */
struct cdpdk_dir24_8_layout {
    uint32_t number_tbl8s;
    uint32_t rsvd_tbl8s;
    uint32_t cur_tbl8s;
    enum rte_fib_dir24_8_nh_sz nh_sz;
    uint64_t def_nh;
    uint64_t *tbl8;
    uint64_t *tbl8_idxes;
    __attribute__((aligned(64))) uint64_t tbl24[];
};

struct cdpdk_dir24_8_view {
    const uint32_t *tbl24;
    const uint32_t *tbl8;
};

/* 0 and the view filled in, or -1 when the table does not look as expected. */
static inline int cdpdk_fib_dir24_8_view(struct rte_fib *fib, uint32_t tbl8_groups, uint64_t default_nh,
                                         struct cdpdk_dir24_8_view *view) {
    struct cdpdk_dir24_8_layout *dp = (struct cdpdk_dir24_8_layout *)rte_fib_get_dp(fib);
    /* dir24_8_create rounds the group count up to whole 64-bit bitmap words. */
    uint32_t groups = (tbl8_groups + 63u) & ~63u;
    if (dp == NULL || dp->number_tbl8s != groups || dp->nh_sz != RTE_FIB_DIR24_8_4B ||
        dp->def_nh != default_nh || dp->tbl8 == NULL)
        return -1;
    view->tbl24 = (const uint32_t *)dp->tbl24;
    view->tbl8 = (const uint32_t *)dp->tbl8;
    return 0;
}

#endif
