/* SPDX-License-Identifier: MIT */
/* Sorted arrays of page addresses (see track_sorted.h). */
#include <string.h>

#include "track_sorted.h"

size_t track_merge_sorted(uint64_t *v, size_t n, const uint64_t *add, size_t nadd)
{
	size_t i = n, j = nadd, k = n + nadd;

	/* From the back, so that it works in place. */
	while (j) {
		if (i && v[i - 1] > add[j - 1]) {
			v[--k] = v[--i];
		} else if (i && v[i - 1] == add[j - 1]) {
			v[--k] = v[--i];
			j--;
		} else {
			v[--k] = add[--j];
		}
	}
	/* Each duplicate left one slot free at the front of the merged part: close the gap. */
	if (k != i)
		memmove(&v[i], &v[k], (n + nadd - k) * sizeof(*v));
	return i + (n + nadd - k);
}

size_t track_lower_bound(const uint64_t *v, size_t n, uint64_t x)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

size_t track_first_ending_after(const void *runs, size_t n, size_t size, size_t end_at,
				uint64_t x)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t end;

		memcpy(&end, (const char *)runs + mid * size + end_at, sizeof(end));
		if (end <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}
