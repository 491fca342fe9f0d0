/* SPDX-License-Identifier: MIT */
/*
 * Test hooks of the uffd-async backend: not API (the symbols are hidden
 * from the shared library).  Tests linking the static library use them to
 * check which way a range is armed, and to arm the old way on purpose.
 */
#ifndef WW_UFFD_ASYNC_DEBUG_H
#define WW_UFFD_ASYNC_DEBUG_H

#include "writewatch.h"

/* Ranges watched while set are armed with markers, as before populated-only mode. */
#define WW_ASYNC_DEBUG_MARKERS 1u
/*
 * Ranges with markers look for page-table holes with a second scan even
 * where the kernel reads them as written (it does the work of kernels that
 * do not, and must give the same answer).
 */
#define WW_ASYNC_DEBUG_HOLES 2u

extern unsigned int ww_async_debug;

/*
 * 1 if the range watched at addr is in populated-only mode, 0 if it is armed
 * with markers (or t is not a uffd-async tracker), -ENOENT if addr is not
 * watched.
 */
int ww_async_debug_sparse(struct ww_tracker *t, const void *addr);

#endif /* WW_UFFD_ASYNC_DEBUG_H */
