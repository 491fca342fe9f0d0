/* SPDX-License-Identifier: MIT */
/*
 * mprotect backend: what a range is made of at watch time.  Its "segments"
 * come from /proc/self/maps: runs of pages with one protection and one
 * backing, which the fault path uses to tell our write faults from the
 * application's, and unwatch to give each page its protection back.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "mprotect.h"
#include "procmaps.h"

/* Move the start of segment v up to at, keeping its file offset in step. */
void ww_mp_seg_trim_front(struct ww_vma *v, uintptr_t at)
{
	if (ww_vma_has_file(v))
		v->offset += at - v->start;
	v->start = at;
}

static int mp_maywrite_cb(const struct ww_vma *v, void *arg)
{
	(void)arg;
	return !(v->prot & PROT_WRITE) && !v->maywrite ? -EPERM : 0;
}

/*
 * Any non-writable VMA over [a, b) without VM_MAYWRITE?  Such memory can
 * never be written (read-only file mapping): -EPERM, as the userfaultfd
 * backends answer.
 */
static int mp_check_maywrite(uintptr_t a, uintptr_t b)
{
	return ww_vmas_each(a, b, WW_VMAS_SMAPS, mp_maywrite_cb, NULL);
}

/*
 * Segments of [a, b) from /proc/self/maps, in place in v[0..n): neighbours
 * with one protection and one backing merged.  Returns how far they cover
 * without a hole; *readonly tells whether some part is not writable.
 */
static uintptr_t mp_merge_segs(struct ww_vma *v, size_t *n, uintptr_t a, uintptr_t b,
			       bool *readonly)
{
	size_t i, k = 0;
	uintptr_t at = a;

	for (i = 0; i < *n && v[i].start <= at; i++) {
		struct ww_vma cur = v[i];

		if (cur.start < at)
			ww_mp_seg_trim_front(&cur, at);
		if (cur.end > b)
			cur.end = b;
		*readonly |= !(cur.prot & PROT_WRITE);
		if (k && v[k - 1].prot == cur.prot && ww_vma_same_backing(&v[k - 1], &cur, at))
			v[k - 1].end = cur.end;
		else
			v[k++] = cur;
		at = cur.end;
	}
	*n = k;
	return at;
}

/* Segments of [a, b): -ENOMEM on a hole, -EPERM if some part can never be written. */
int ww_mp_learn(uintptr_t a, uintptr_t b, struct ww_vma **out, size_t *nout)
{
	struct ww_vma *v;
	size_t n;
	bool readonly = false;
	int ret = ww_vmas_get(a, b, 0, &v, &n);

	if (ret)
		return ret;
	if (mp_merge_segs(v, &n, a, b, &readonly) < b)
		ret = -ENOMEM;
	if (!ret && readonly)
		ret = mp_check_maywrite(a, b);
	if (ret) {
		free(v);
		return ret;
	}
	*out = v;
	*nout = n;
	return 0;
}
