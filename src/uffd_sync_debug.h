/* SPDX-License-Identifier: MIT */
/*
 * Test hooks of the uffd-sync backend: not API (the symbols are hidden from
 * the shared library).  Tests linking the static library set them before
 * ww_open() to run the code paths of older kernels on a new one, or paths
 * no real program can reach any more.
 */
#ifndef WW_UFFD_SYNC_DEBUG_H
#define WW_UFFD_SYNC_DEBUG_H

/* Act as if the kernel lacked UFFD_FEATURE_WP_UNPOPULATED (Linux < 6.4). */
#define WW_UFFD_SYNC_DEBUG_NO_UNPOPULATED 1u
/* Act as if madvise(MADV_POPULATE_READ) were missing too (Linux < 5.14). */
#define WW_UFFD_SYNC_DEBUG_NO_POPULATE 2u
/*
 * The fault thread first unprotects one base page even in hugetlb ranges:
 * what it did to a hugetlb page inside a range watched at the base page
 * size, before the core refused ranges that mix page sizes.
 */
#define WW_UFFD_SYNC_DEBUG_BASE_UNPROTECT 4u
/* Every unprotect the fault thread tries fails with ENOMEM. */
#define WW_UFFD_SYNC_DEBUG_UNPROTECT_FAILS 8u
/*
 * The fault thread pauses 20 ms after it unprotects a page, before it wakes
 * the writer: other threads' stores go through the page meanwhile.
 */
#define WW_UFFD_SYNC_DEBUG_SLOW_RESOLVE 16u

extern unsigned int ww_uffd_sync_debug;

/*
 * Fault messages the thread read in one batch with an earlier message for
 * the same page: writers that faulted on one page at once.  Counted always.
 */
extern _Atomic unsigned long ww_uffd_sync_debug_dups;

#endif /* WW_UFFD_SYNC_DEBUG_H */
