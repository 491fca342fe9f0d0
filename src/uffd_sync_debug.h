/* SPDX-License-Identifier: MIT */
/*
 * Test hooks of the uffd-sync backend: not API (the symbol is hidden from
 * the shared library).  Tests linking the static library set it before
 * ww_open() to run the code paths of older kernels on a new one.
 */
#ifndef WW_UFFD_SYNC_DEBUG_H
#define WW_UFFD_SYNC_DEBUG_H

/* Act as if the kernel lacked UFFD_FEATURE_WP_UNPOPULATED (Linux < 6.4). */
#define WW_UFFD_SYNC_DEBUG_NO_UNPOPULATED 1u
/* Act as if madvise(MADV_POPULATE_READ) were missing too (Linux < 5.14). */
#define WW_UFFD_SYNC_DEBUG_NO_POPULATE 2u

extern unsigned int ww_uffd_sync_debug;

#endif /* WW_UFFD_SYNC_DEBUG_H */
