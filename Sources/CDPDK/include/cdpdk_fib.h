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

#endif
