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
 * Ranges with markers are read the way kernels that skip page-table holes
 * need (ww_hole_scan) even where the kernel reads holes as written: the
 * same answer, at the cost those kernels pay.
 */
#define WW_ASYNC_DEBUG_HOLES 2u
/*
 * With WW_ASYNC_DEBUG_HOLES: the first scan leaves out the pages that hold
 * nothing, so that every hole is found, reported and protected by the
 * second part, as on kernels that skip holes, where the first scan cannot
 * see them.
 */
#define WW_ASYNC_DEBUG_HOLES_FILTER 4u

extern unsigned int ww_async_debug;

/*
 * 1 if the range watched at addr is in populated-only mode, 0 if it is armed
 * with markers (or t is not a uffd-async tracker), -ENOENT if addr is not
 * watched.
 */
int ww_async_debug_sparse(struct ww_tracker *t, const void *addr);

#endif /* WW_UFFD_ASYNC_DEBUG_H */
