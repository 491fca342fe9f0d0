/* SPDX-License-Identifier: MIT */
/* Sorted arrays of page addresses and of address runs, for the tool (tools/track_sorted.c). */
#ifndef WW_TRACK_SORTED_H
#define WW_TRACK_SORTED_H

#include <stddef.h>
#include <stdint.h>

/*
 * Merge add[0..nadd) into v[0..n) in place (v has room for n + nadd); both
 * ascending, each without duplicates.  Returns the new length (duplicates
 * between the two are kept once).
 */
size_t track_merge_sorted(uint64_t *v, size_t n, const uint64_t *add, size_t nadd);
/* Index of the first element of v[0..n) not below x. */
size_t track_lower_bound(const uint64_t *v, size_t n, uint64_t x);
/*
 * In runs[0..n), elements of size bytes sorted by address and disjoint, each
 * with its uint64_t end (exclusive) at offset end_at: the index of the first
 * run ending above x (n if none).
 */
size_t track_first_ending_after(const void *runs, size_t n, size_t size, size_t end_at,
				uint64_t x);

#endif /* WW_TRACK_SORTED_H */
