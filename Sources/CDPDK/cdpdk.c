/* Intentionally empty: every wrapper is static inline in include/cdpdk.h. */
