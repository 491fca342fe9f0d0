/* SPDX-License-Identifier: MIT */
/*
 * Test hooks of the mprotect backend: not API (the symbols are hidden from
 * the shared library).  Tests linking the static library set them before
 * the first write fault to widen races no scheduler shows on demand.
 */
#ifndef WW_MPROTECT_DEBUG_H
#define WW_MPROTECT_DEBUG_H

/*
 * The fault handler pauses 20 ms after it made the page writable, before it
 * returns: other threads' stores go through the page meanwhile.
 */
#define WW_MP_DEBUG_SLOW_FAULT 1u

extern unsigned int ww_mp_debug;

#endif /* WW_MPROTECT_DEBUG_H */
