/* SPDX-License-Identifier: MIT */
/*
 * Small helpers that more than one library file needs: sorted-interval
 * search and atomic page bitmaps.  Everything here is static inline and
 * async-signal-safe (no locks, no allocation), so the mprotect fault path
 * may use it.
 */
#ifndef WW_UTIL_H
#define WW_UTIL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Index of the first element whose end is above addr, in an array sorted by
 * address with non-overlapping [start, end) intervals (n if none).  end_of
 * reads element i's end; it is a function so that arrays of structs and of
 * pointers share one search.
 */
typedef uintptr_t (*ww_end_fn)(const void *arr, size_t i);

static inline size_t ww_search_end(const void *arr, size_t n, uintptr_t addr, ww_end_fn end_of)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (end_of(arr, mid) <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * The base page size, from the system (4 KiB on x86_64, 4/16/64 KiB on arm64
 * and ppc64le).  Read once at load time so the fault path can use it.
 */
extern size_t ww_base_page_size;

static inline size_t ww_page_size(void)
{
	return ww_base_page_size;
}

/*
 * Arming [addr, addr + len) with a uffd-wp marker in every page-table entry
 * allocates page tables for all of it, about 8 bytes a page (in pagesize
 * units): -ENOMEM when that is more than a quarter of the machine's RAM,
 * which would only end in the OOM killer.
 */
int ww_marker_cost_check(size_t len, size_t pagesize);

/* ---- page bitmaps: one bit a page, 64 to a word ---- */

#define WW_BITMAP_WORDS(nbits) (((nbits) + 63) / 64)

/* The bits of word w that lie in [i, j). */
static inline uint64_t ww_bits_word_mask(size_t w, size_t i, size_t j)
{
	size_t lo = i > w * 64 ? i - w * 64 : 0;
	size_t hi = j < (w + 1) * 64 ? j - w * 64 : 64;
	uint64_t m = hi == 64 ? ~0ULL : (1ULL << hi) - 1;

	return m & ~((1ULL << lo) - 1);
}

/* Set (set=true) or clear bits [i, j), atomically word by word. */
static inline void ww_bits_update(_Atomic uint64_t *bits, size_t i, size_t j, bool set)
{
	for (size_t w = i / 64; i < j && w <= (j - 1) / 64; w++) {
		uint64_t m = ww_bits_word_mask(w, i, j);

		if (set)
			atomic_fetch_or(&bits[w], m);
		else
			atomic_fetch_and(&bits[w], ~m);
	}
}

static inline bool ww_bit_test(_Atomic uint64_t *bits, size_t i)
{
	return atomic_load_explicit(&bits[i / 64], memory_order_relaxed) >> (i % 64) & 1;
}

/*
 * First set bit in [i, j), or j.  Skips zero words, so a sparse bitmap costs
 * a load per 64 pages.
 */
static inline size_t ww_bits_next_set(_Atomic uint64_t *bits, size_t i, size_t j)
{
	while (i < j) {
		size_t w = i / 64;
		uint64_t v = atomic_load_explicit(&bits[w], memory_order_relaxed) &
			     ww_bits_word_mask(w, i, j);

		if (v)
			return w * 64 + (size_t)__builtin_ctzll(v);
		i = (w + 1) * 64;
	}
	return j;
}

/* First clear bit in [i, j), or j. */
static inline size_t ww_bits_next_clear(_Atomic uint64_t *bits, size_t i, size_t j)
{
	while (i < j) {
		size_t w = i / 64;
		uint64_t v = ~atomic_load_explicit(&bits[w], memory_order_relaxed) &
			     ww_bits_word_mask(w, i, j);

		if (v)
			return w * 64 + (size_t)__builtin_ctzll(v);
		i = (w + 1) * 64;
	}
	return j;
}

#endif /* WW_UTIL_H */
