/*
 * cdpdk.h: the thin C shim between Swift and DPDK.
 *
 * Swift imports DPDK's functions and most of its static inline functions directly. What it
 * cannot use is wrapped here, each wrapper static inline (a wrapper in a .c file would cost a
 * call per packet) and free of logic:
 *   - `struct rte_mbuf` is over-aligned (64 bytes), so Swift sees it as an OpaquePointer and
 *     cannot read its fields: the cdpdk_mbuf_* accessors read and write them.
 *   - macros (rte_pktmbuf_mtod, rte_errno, rte_lcore_id, offload flag masks) do not import.
 */
#ifndef CDPDK_H
#define CDPDK_H

#include <rte_config.h>
#include <rte_common.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_launch.h>
#include <rte_cycles.h>
#include <rte_prefetch.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ethdev.h>
#include <rte_ring.h>
#include <rte_fib.h>
#include <rte_fib6.h>
#include <rte_malloc.h>
#include <rte_version.h>
#include <rte_dev.h>
#include <rte_bus_vdev.h>
#include <rte_rcu_qsbr.h>
/* The FIBs' tbl8 counters; in their own header (why: see there). */
#include "cdpdk_fib.h"

/* RTE_QSBR_THRID_INVALID is a macro: the thread id a non-reader passes to synchronize. */
static const unsigned CDPDK_QSBR_THRID_INVALID = RTE_QSBR_THRID_INVALID;

/* rte_errno is a per-lcore macro; read it right after the failing call. */
static inline int cdpdk_errno(void) { return rte_errno; }

/* rte_lcore_id() is a macro over a per-thread variable. */
static inline unsigned cdpdk_lcore_id(void) { return rte_lcore_id(); }

/* rte_pktmbuf_mtod is a macro over the over-aligned mbuf. */
static inline void *cdpdk_mbuf_data(struct rte_mbuf *m) { return rte_pktmbuf_mtod(m, void *); }
static inline uint16_t cdpdk_mbuf_data_len(const struct rte_mbuf *m) { return m->data_len; }
static inline uint32_t cdpdk_mbuf_pkt_len(const struct rte_mbuf *m) { return m->pkt_len; }
static inline uint16_t cdpdk_mbuf_nb_segs(const struct rte_mbuf *m) { return m->nb_segs; }

/* Shortens a single-segment packet to len bytes (drops Ethernet padding). */
static inline void cdpdk_mbuf_set_len(struct rte_mbuf *m, uint16_t len) {
	m->data_len = len;
	m->pkt_len = len;
}

/* The two RX IP checksum flag bits; compare with the CDPDK_RX_IP_CKSUM_* values below. */
static inline uint64_t cdpdk_mbuf_rx_ip_cksum(const struct rte_mbuf *m) {
	return m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
}
static const uint64_t CDPDK_RX_IP_CKSUM_UNKNOWN = RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN;
static const uint64_t CDPDK_RX_IP_CKSUM_BAD = RTE_MBUF_F_RX_IP_CKSUM_BAD;
static const uint64_t CDPDK_RX_IP_CKSUM_GOOD = RTE_MBUF_F_RX_IP_CKSUM_GOOD;
static const uint64_t CDPDK_RX_IP_CKSUM_NONE = RTE_MBUF_F_RX_IP_CKSUM_NONE;

static const uint64_t CDPDK_RX_OFFLOAD_IPV4_CKSUM = RTE_ETH_RX_OFFLOAD_IPV4_CKSUM;

/* Pipeline mode: the receive core reads the NIC's RSS hash (valid only when the flag is set)
 * and the input port, both in the mbuf's first cache line, which rx_burst has just written. */
static inline int cdpdk_mbuf_has_rss_hash(const struct rte_mbuf *m) { return (m->ol_flags & RTE_MBUF_F_RX_RSS_HASH) != 0; }
static inline uint32_t cdpdk_mbuf_rss_hash(const struct rte_mbuf *m) { return m->hash.rss; }
static inline uint16_t cdpdk_mbuf_port(const struct rte_mbuf *m) { return m->port; }
static inline void cdpdk_mbuf_set_port(struct rte_mbuf *m, uint16_t port) { m->port = port; }

/* The RTE_ETH_RSS_* flags are RTE_BIT64() macros, which Swift cannot import: one constant per
 * field group of the config's rss_hash list (docs/config.md). */
static const uint64_t CDPDK_ETH_RSS_IPV4 = RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_FRAG_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_OTHER;
static const uint64_t CDPDK_ETH_RSS_IPV6 = RTE_ETH_RSS_IPV6 | RTE_ETH_RSS_FRAG_IPV6 | RTE_ETH_RSS_NONFRAG_IPV6_OTHER | RTE_ETH_RSS_IPV6_EX;
static const uint64_t CDPDK_ETH_RSS_TCP = RTE_ETH_RSS_TCP;
static const uint64_t CDPDK_ETH_RSS_UDP = RTE_ETH_RSS_UDP;
static const uint64_t CDPDK_ETH_RSS_SCTP = RTE_ETH_RSS_SCTP;
/* The IPv6 extension-header variants within those groups: many NICs (i40e, ice) hash IPv6
 * without them, which is not worth a warning. */
static const uint64_t CDPDK_ETH_RSS_IPV6_EXTENSIONS = RTE_ETH_RSS_IPV6_EX | RTE_ETH_RSS_IPV6_TCP_EX | RTE_ETH_RSS_IPV6_UDP_EX;

/* rte_ring_{sp_enqueue,sc_dequeue}_burst take void * arrays; these take the mbuf arrays the
 * rest of the shim uses. The sp/sc forms skip the multi-producer compare-and-swap: each ring
 * has one receive core writing and one worker reading (docs/architecture.md). */
static inline unsigned cdpdk_ring_sp_enqueue_burst(struct rte_ring *r, struct rte_mbuf **pkts, unsigned n) {
	return rte_ring_sp_enqueue_burst(r, (void * const *)pkts, n, NULL);
}
static inline unsigned cdpdk_ring_sc_dequeue_burst(struct rte_ring *r, struct rte_mbuf **pkts, unsigned n) {
	return rte_ring_sc_dequeue_burst(r, (void **)pkts, n, NULL);
}

/* rte_prefetch0 is inline assembly. */
static inline void cdpdk_prefetch0(const void *p) { rte_prefetch0(p); }

/* rte_rdtsc is inline assembly. */
static inline uint64_t cdpdk_rdtsc(void) { return rte_rdtsc(); }

/* rte_eth_rx_burst/tx_burst take struct rte_mbuf **, which Swift sees as OpaquePointer arrays;
 * these keep the call sites in Swift readable and are inlined away. */
static inline uint16_t cdpdk_rx_burst(uint16_t port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n) {
	return rte_eth_rx_burst(port, queue, pkts, n);
}
static inline uint16_t cdpdk_tx_burst(uint16_t port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n) {
	return rte_eth_tx_burst(port, queue, pkts, n);
}
static inline void cdpdk_mbuf_free(struct rte_mbuf *m) { rte_pktmbuf_free(m); }

static inline uint16_t cdpdk_mbuf_tailroom(const struct rte_mbuf *m) { return rte_pktmbuf_tailroom(m); }

/* One mbuf from the pool, reset (data at the default headroom, length 0), or NULL. */
static inline struct rte_mbuf *cdpdk_mbuf_alloc(struct rte_mempool *pool) { return rte_pktmbuf_alloc(pool); }

/* rte_fib6_lookup_bulk takes uint8_t[][16]; Swift passes a flat byte buffer. */
static inline int cdpdk_fib6_lookup_bulk(struct rte_fib6 *fib, uint8_t *ips, uint64_t *next_hops, int n) {
	return rte_fib6_lookup_bulk(fib, (uint8_t (*)[RTE_FIB6_IPV6_ADDR_SIZE])ips, next_hops, n);
}

/* Cross-thread flags and counters in raw memory (worker stop flag, snapshot reads of
 * single-writer counters). Swift's Atomic type cannot live in memory shared through raw
 * pointers; the C11 builtins can, and compile to plain loads and stores on x86-64. */
static inline uint64_t cdpdk_load_relaxed_u64(const uint64_t *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }
static inline void cdpdk_store_relaxed_u64(uint64_t *p, uint64_t v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); }
static inline uint32_t cdpdk_load_acquire_u32(const uint32_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static inline void cdpdk_store_release_u32(uint32_t *p, uint32_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }

/* The size Swift cannot compute for the over-aligned mbuf and RTE_PKTMBUF_HEADROOM (a macro). */
static const unsigned CDPDK_MBUF_HEADROOM = RTE_PKTMBUF_HEADROOM;
static const unsigned CDPDK_MAX_LCORE = RTE_MAX_LCORE;
static const unsigned CDPDK_MAX_ETHPORTS = RTE_MAX_ETHPORTS;

#endif
