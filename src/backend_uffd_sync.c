/* SPDX-License-Identifier: MIT */
/*
 * uffd-sync backend: classic userfaultfd write-protect and a fault thread
 * (Linux >= 5.7 for anonymous memory; shmem, memfd and hugetlb need
 * UFFD_FEATURE_WP_HUGETLBFS_SHMEM, Linux >= 5.19).  This file holds the
 * operations; the fault thread is in uffd_sync_fault.c, the bitmaps and the
 * table of published ranges in uffd_sync_table.c, the locking in
 * uffd_sync.h.
 *
 * Watched memory is registered with UFFDIO_REGISTER_MODE_WP and protected
 * with UFFDIO_WRITEPROTECT.  A write to a protected page blocks the writer
 * until the fault thread has recorded it and lifted the protection.
 * get+reset clears the bits it reports (atomically) and THEN protects those
 * pages again, so a write is never lost; a page may be reported twice.
 *
 * Never-touched anonymous pages are protected through pte markers
 * (UFFD_FEATURE_WP_UNPOPULATED, Linux >= 6.4).  Without it they are faulted
 * in (zero page) before being protected, at watch and at reset.
 */
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "kernel.h"
#include "uffd_sync.h"
#include "uffd_sync_debug.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef _UFFDIO_WRITEPROTECT
#define _UFFDIO_WRITEPROTECT 0x06
#endif

#define TOUCH_BATCH 512         /* pages per process_vm_readv() when pre-faulting */

unsigned int ww_uffd_sync_debug;

/* ---- pre-faulting, for kernels without UFFD_FEATURE_WP_UNPOPULATED ---- */

/*
 * Before Linux 5.14: read one byte of each page through process_vm_readv(),
 * which faults pages in like a read but fails with EFAULT instead of raising
 * SIGSEGV on memory the caller cannot read.
 */
static int touch_pages(uintptr_t start, size_t len)
{
	char sink[TOUCH_BATCH];
	struct iovec local = { .iov_base = sink, .iov_len = sizeof(sink) };
	struct iovec remote[TOUCH_BATCH];
	size_t n = len / ww_page_size(), done = 0, i, k;

	while (done < n) {
		k = n - done < TOUCH_BATCH ? n - done : TOUCH_BATCH;
		for (i = 0; i < k; i++) {
			remote[i].iov_base = (void *)(start + (done + i) * ww_page_size());
			remote[i].iov_len = 1;
		}
		if (process_vm_readv(getpid(), &local, 1, remote, k, 0) != (ssize_t)k)
			return -EFAULT;
		done += k;
	}
	return 0;
}

/*
 * Make never-touched pages present (the zero page for anonymous memory) so
 * that UFFDIO_WRITEPROTECT has a pte to mark.  Reads only: no content, no
 * protected page and no written bit changes.
 */
static int prefault(struct sync_state *st, uintptr_t start, size_t len)
{
	int ret = -EINVAL;

	if (st->populate) {
		do
			ret = madvise((void *)start, len, MADV_POPULATE_READ) ? -errno : 0;
		while (ret == -EINTR);
	}
	/* EINVAL: Linux < 5.14, or a mapping populate refuses (PROT_NONE). */
	if (ret == -EINVAL)
		ret = touch_pages(start, len);
	/* EFAULT: memory the process cannot read cannot be pre-faulted. */
	return ret == -EFAULT ? -EOPNOTSUPP : ret;
}

/* ---- ops ---- */

/* The sticky error of the tracker (its userfaultfd is gone) or of range b. */
static int sync_broken(struct sync_state *st, struct sync_bits *b)
{
	int err = atomic_load(&st->err);

	return err ? err : atomic_load(&b->err);
}

static int sync_probe(char *why, size_t whylen)
{
	uint64_t features = 0, ioctls = 0;
	enum ww_uffd_how how;
	void *page;
	int fd, ret = ww_uffd_probe(&features, why, whylen);

	if (ret)
		return ret;
	if (!(features & UFFD_FEATURE_PAGEFAULT_FLAG_WP)) {
		ww_why(why, whylen, "kernel lacks userfaultfd write-protect (needs Linux >= 5.7)");
		return -EOPNOTSUPP;
	}
	/* Old kernels advertise the flag but refuse MODE_WP: register a scratch page. */
	fd = ww_k_uffd_open(true, &how);
	if (fd < 0) {
		ww_why(why, whylen, "userfaultfd refused: %s", strerror(-fd));
		return -EOPNOTSUPP;
	}
	ret = ww_k_uffd_api(fd, 0, NULL, NULL);
	page = ww_sync_map_zeroed(ww_page_size());
	if (!ret && !page)
		ret = -ENOMEM;
	if (!ret)
		ret = ww_k_uffd_register(fd, (uintptr_t)page, ww_page_size(),
					 UFFDIO_REGISTER_MODE_WP, &ioctls);
	if (!ret && !(ioctls & (1ULL << _UFFDIO_WRITEPROTECT)))
		ret = -EOPNOTSUPP;
	if (page)
		munmap(page, ww_page_size());
	close(fd);
	if (ret) {
		ww_why(why, whylen, "kernel cannot write-protect anonymous memory with "
		       "userfaultfd (%s; needs Linux >= 5.7)", strerror(-ret));
		return -EOPNOTSUPP;
	}
	return 0;
}

static void sync_free(struct sync_state *st)
{
	ww_sync_thread_stop(st);
	if (st->uffd >= 0)
		close(st->uffd);
	if (st->wake_fd >= 0)
		close(st->wake_fd);
	ww_sync_tab_free(st);
	pthread_mutex_destroy(&st->plock);
	munmap(st, sizeof(*st));
}

static int sync_open(struct ww_tracker *t)
{
	uint64_t have = 0, want;
	enum ww_uffd_how how;
	struct sync_state *st;
	int ret;

	ret = ww_k_uffd_features(&have, NULL);
	if (ret)
		return ret;
	/* Not WP_ASYNC: faults must reach the thread to be recorded. */
	want = have & (UFFD_FEATURE_WP_HUGETLBFS_SHMEM | UFFD_FEATURE_WP_UNPOPULATED);
	if (ww_uffd_sync_debug & WW_UFFD_SYNC_DEBUG_NO_UNPOPULATED)
		want &= ~(uint64_t)UFFD_FEATURE_WP_UNPOPULATED;
	st = ww_sync_map_zeroed(sizeof(*st));
	if (!st)
		return -ENOMEM;
	pthread_mutex_init(&st->plock, NULL);
	st->unpopulated = want & UFFD_FEATURE_WP_UNPOPULATED;
	st->populate = !(ww_uffd_sync_debug & WW_UFFD_SYNC_DEBUG_NO_POPULATE);
	/* Non-blocking: poll() on a blocking userfaultfd reports an error. */
	st->uffd = ww_k_uffd_open(true, &how);
	st->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ret = st->uffd < 0 ? st->uffd : st->wake_fd < 0 ? -errno :
	      ww_k_uffd_api(st->uffd, want, NULL, NULL);
	if (!ret)
		ret = ww_sync_thread_start(st);
	if (ret) {
		sync_free(st);
		return ret;
	}
	t->uffd = st->uffd;
	t->aux_fd = st->wake_fd;
	t->uffd_user_mode_only = how == WW_UFFD_USER_ONLY;
	t->priv = st;
	return 0;
}

static void sync_close(struct ww_tracker *t)
{
	/*
	 * Every range was unwatched, which unprotected it and so woke any
	 * writer still blocked in a fault: the thread can stop now.
	 */
	sync_free(t->priv);
	t->uffd = -1;
	t->aux_fd = -1;
	t->priv = NULL;
}

static int sync_watch(struct ww_tracker *t, struct ww_range *r)
{
	struct sync_state *st = t->priv;
	size_t len = r->end - r->start;
	uint64_t ioctls = 0;
	struct sync_bits *b;
	int ret;

	/* Markers (or, before WP_UNPOPULATED, populating) over all of it. */
	ret = ww_marker_cost_check(len, r->pagesize);
	if (ret)
		return ret;
	b = ww_sync_bits_alloc(r->start, len, r->pagesize);
	if (!b)
		return -ENOMEM;
	ret = ww_k_uffd_register(st->uffd, r->start, len, UFFDIO_REGISTER_MODE_WP, &ioctls);
	if (ret) {
		ww_sync_bits_free(b);
		/* EINVAL: a memory type sync write-protect cannot handle (file pages). */
		return ret == -EINVAL ? -EOPNOTSUPP : ret;     /* EBUSY, EPERM as they are */
	}
	if (!(ioctls & (1ULL << _UFFDIO_WRITEPROTECT))) {
		ret = -EOPNOTSUPP;
		goto unregister;
	}
	/* Published before protected: every fault of this range finds it. */
	ret = ww_sync_publish(st, r->start, r->end, b);
	if (ret)
		goto unregister;
	if (!st->unpopulated && !r->hugetlb) {
		ret = prefault(st, r->start, len);
		if (ret)
			goto unpublish;
	}
	ret = ww_k_uffd_wp(st->uffd, r->start, len, true, false);
	if (ret)
		goto unpublish;
	r->priv = b;
	return 0;
unpublish:
	ww_k_uffd_wp(st->uffd, r->start, len, false, false);   /* a partial protect */
	ww_sync_unpublish(st, r->start);
unregister:
	ww_k_uffd_unregister(st->uffd, r->start, len);
	ww_sync_bits_free(b);
	return ret;
}

/*
 * Lift the protection of [start, end) and unregister it.  Unprotect first:
 * it wakes any writer blocked in a fault here.  Pages the fault thread had
 * to unregister (a broken range) make the unprotect stop with ENOENT there,
 * and the writers it could not resolve are woken explicitly.
 */
static int disarm(struct sync_state *st, struct sync_bits *b, uintptr_t start, uintptr_t end)
{
	bool broken = atomic_load(&b->err) || atomic_load(&st->err);
	int ret, ret2;

	ret = ww_k_uffd_wp(st->uffd, start, end - start, false, false);
	if (broken && ret == -ENOENT)
		ret = 0;
	ret2 = ww_k_uffd_unregister(st->uffd, start, end - start);
	if (broken)
		ww_k_uffd_wake(st->uffd, start, end - start);
	return ret ? ret : ret2;
}

/*
 * The core splits before unwatching part of a range, so [start, end) is all
 * of r.  gone: the address may hold a newer mapping, maybe registered with
 * another tracker's userfaultfd, which UFFDIO_WRITEPROTECT would act on.
 * What is left of ours stays registered until close; a fault there still
 * gets resolved by the thread (as outside every range).
 */
static int sync_unwatch(struct ww_tracker *t, struct ww_range *r, uintptr_t start,
			uintptr_t end, bool gone)
{
	struct sync_state *st = t->priv;
	struct sync_bits *b = r->priv;
	int ret = 0;

	if (!gone) {
		ret = disarm(st, b, start, end);
		if (ret && !atomic_load(&st->err))
			return ww_uffd_wp_err(ret);   /* the core keeps the range, or (-EFAULT) drops it as gone */
	}
	ww_sync_unpublish(st, r->start);
	ww_sync_bits_free(b);
	r->priv = NULL;
	return 0;
}

static int sync_split(struct ww_tracker *t, struct ww_range *r, struct ww_range *tail)
{
	struct sync_state *st = t->priv;
	struct sync_bits *nb;
	int ret;

	nb = ww_sync_bits_alloc(tail->start, r->end - tail->start, r->pagesize);
	if (!nb)
		return -ENOMEM;
	ret = ww_sync_tab_split(st, r->start, tail->start, nb);
	if (ret) {
		ww_sync_bits_free(nb);
		return ret;
	}
	tail->priv = nb;
	return 0;
}

/*
 * Clear the bits of [start, end) THEN protect it; on failure nothing may be
 * lost.  Under plock, so no fault message read before this is handled after
 * it (src/uffd_sync.h): a stale message cannot undo the reset.
 */
static int rearm(struct sync_state *st, struct sync_bits *b, uintptr_t start, uintptr_t end)
{
	int ret;

	pthread_mutex_lock(&st->plock);
	ww_sync_bits_mark(b, start, end, false);
	ret = ww_k_uffd_wp(st->uffd, start, end - start, true, false);
	if (ret)
		ww_sync_bits_mark(b, start, end, true);
	pthread_mutex_unlock(&st->plock);
	return ww_uffd_wp_err(ret);
}

/* Runs of set bits of [*at, last) into out[0..max_out), at most max_pages bits. */
static size_t find_runs(struct sync_bits *b, size_t *at, size_t last, struct ww_region *out,
			size_t max_out, uint64_t max_pages)
{
	size_t i = *at, n = 0;
	uint64_t pages = 0;

	while (i < last) {
		size_t s = ww_bits_next_set(b->words, i, last), e;

		if (s == last || n == max_out || pages == max_pages) {
			i = s;
			break;
		}
		e = ww_bits_next_clear(b->words, s + 1, last);
		if (e - s > max_pages - pages)
			e = s + (max_pages - pages);
		out[n].start = ww_sync_addr_of(b, s);
		out[n].end = ww_sync_addr_of(b, e);
		n++;
		pages += e - s;
		i = e;
	}
	*at = i;
	return n;
}

static ssize_t sync_scan(struct ww_tracker *t, struct ww_range *r, uintptr_t start, uintptr_t end,
			 struct ww_region *out, size_t max_out, uint64_t max_pages,
			 bool reset, uintptr_t *walk_end)
{
	struct sync_state *st = t->priv;
	struct sync_bits *b = r->priv;
	size_t at = ww_sync_bit_of(b, start), last = ww_sync_bit_of(b, end), n, k;
	int ret = sync_broken(st, b);

	if (ret)
		return ret;
	n = find_runs(b, &at, last, out, max_out, max_pages);
	*walk_end = at < last ? ww_sync_addr_of(b, at) : end;
	/*
	 * Bits are only ever cleared under t->lock, so every bit of a reported
	 * run is still set: rearm() resets exactly what is reported.
	 */
	for (k = 0; reset && k < n; k++) {
		ret = rearm(st, b, out[k].start, out[k].end);
		if (ret) {
			/* The caller drops these results: mark the runs reset so far again. */
			while (k--)
				ww_sync_bits_mark(b, out[k].start, out[k].end, true);
			return ret;
		}
	}
	return (ssize_t)n;
}

static int sync_reset(struct ww_tracker *t, struct ww_range *r, uintptr_t start, uintptr_t end)
{
	struct sync_state *st = t->priv;
	int ret = sync_broken(st, r->priv);

	if (ret)
		return ret;
	/* Pages zapped since the watch (MADV_DONTNEED) lost their protection. */
	if (!st->unpopulated && !r->hugetlb) {
		ret = prefault(st, start, end - start);
		if (ret)
			return ret;
	}
	return rearm(st, r->priv, start, end);
}

static int sync_prepare_write(struct ww_tracker *t, struct ww_range *r, uintptr_t start,
			      uintptr_t end)
{
	struct sync_state *st = t->priv;
	struct sync_bits *b = r->priv;
	int ret = sync_broken(st, b);

	if (ret)
		return ret;
	/* As the fault thread does: unprotect, mark, and only then wake blocked writers. */
	ret = ww_k_uffd_wp(st->uffd, start, end - start, false, true);
	if (ret)
		return ww_uffd_wp_err(ret);
	ww_sync_bits_mark(b, start, end, true);
	return ww_k_uffd_wake(st->uffd, start, end - start);
}

const struct ww_backend_ops ww_uffd_sync_ops = {
	.id = WW_BACKEND_UFFD_SYNC,
	.name = "uffd-sync",
	.probe = sync_probe,
	.open = sync_open,
	.close = sync_close,
	.watch = sync_watch,
	.unwatch = sync_unwatch,
	.split = sync_split,
	.scan = sync_scan,
	.reset = sync_reset,
	.prepare_write = sync_prepare_write,
};
