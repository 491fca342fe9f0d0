/* SPDX-License-Identifier: MIT */
/*
 * uffd-sync: the fault thread.  A write to a protected page blocks the
 * writer and queues a message; the thread reads it, removes the protection
 * of that page, THEN sets the page's bit in the range's written-bitmap, and
 * then wakes the writer (so that a get the writer makes after its write sees
 * the write).  get+reset clears the bits it reports and THEN protects those
 * pages again.  With that order a write is never lost; a page may be
 * reported twice.  Locking: src/uffd_sync.h.
 *
 * What the thread cannot resolve it never hands back to the writer as if it
 * had (the writer would fault again, forever): a hugetlb page larger than
 * the range's unit is unprotected whole; a page the kernel will not
 * unprotect is unregistered and its range marked broken (-EIO from every
 * later call over it).  Failing poll()/read() calls back off instead of
 * spinning, and a userfaultfd that is gone (closed behind the library's
 * back, which drops every protection) breaks every range.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "kernel.h"
#include "uffd_sync.h"
#include "uffd_sync_debug.h"

#define MSG_BATCH 64                    /* fault messages read per read(2) */
#define HUGE_MAX ((size_t)1 << 34)      /* the largest page size tried (16 GiB) */

_Atomic unsigned long ww_uffd_sync_debug_dups;

/* Mark [start, end) written in every published range it overlaps. */
static void mark_written(struct sync_state *st, uintptr_t start, uintptr_t end)
{
	size_t i;

	for (i = ww_sync_tab_search(st, start); i < st->ntab && st->tab[i].start < end; i++) {
		struct sync_entry *e = &st->tab[i];
		size_t unit = (size_t)1 << e->bits->shift;
		uintptr_t s = start > e->start ? start : e->start;
		uintptr_t t = end < e->end ? end : e->end;

		ww_sync_bits_mark(e->bits, ww_align_down(s, unit), ww_align_up(t, unit), true);
	}
}

/* A fault in [start, end) cannot be resolved: every range there is broken. */
static void mark_broken(struct sync_state *st, uintptr_t start, uintptr_t end)
{
	size_t i;

	for (i = ww_sync_tab_search(st, start); i < st->ntab && st->tab[i].start < end; i++)
		atomic_store(&st->tab[i].bits->err, -EIO);
}

/*
 * Unprotect the page at *page without waking its writers.  EINVAL means
 * [*page, +*size) is not aligned to the VMA's page: a hugetlb page larger
 * than the range's unit.  Then the whole huge page is lifted: each larger
 * power of two is tried, the first the kernel accepts being the VMA's page
 * size (no /proc lookup: that could allocate from a watched heap).
 */
static int unprotect(struct sync_state *st, uintptr_t addr, uintptr_t *page, size_t *size)
{
	size_t s;
	int ret;

	if (ww_uffd_sync_debug & WW_UFFD_SYNC_DEBUG_UNPROTECT_FAILS)
		return -ENOMEM;
	ret = ww_k_uffd_wp(st->uffd, *page, *size, false, true);
	for (s = *size * 2; ret == -EINVAL && s <= HUGE_MAX; s *= 2) {
		ret = ww_k_uffd_wp(st->uffd, ww_align_down(addr, s), s, false, true);
		if (!ret) {
			*page = ww_align_down(addr, s);
			*size = s;
		}
	}
	return ret;
}

/*
 * The kernel refuses to unprotect the page: waking the writer would only
 * make it fault again.  Break the ranges there (sticky -EIO, so the loss is
 * never silent), unregister the page, which takes its protection away, and
 * wake the writer, which goes on writing untracked memory.  Only if the
 * kernel refuses that too is the writer woken as it is, after a pause, so a
 * writer that faults again cannot make the thread spin.
 */
static void unresolved(struct sync_state *st, uintptr_t page, size_t size)
{
	struct timespec delay = { .tv_nsec = 10 * 1000 * 1000 };

	mark_broken(st, page, page + size);     /* marked written already, before the unprotect */
	if (ww_k_uffd_unregister(st->uffd, page, size))
		nanosleep(&delay, NULL);
	ww_k_uffd_wake(st->uffd, page, size);
}

/* Resolve one write-protect fault.  Called with plock held. */
static void resolve_fault(struct sync_state *st, uintptr_t addr)
{
	struct sync_entry *e = ww_sync_tab_lookup(st, addr);
	size_t size = e ? (size_t)1 << e->bits->shift : ww_page_size(), marked;
	uintptr_t page;
	int ret;

	if (ww_uffd_sync_debug & WW_UFFD_SYNC_DEBUG_BASE_UNPROTECT)
		size = ww_page_size();
	page = ww_align_down(addr, size);
	/*
	 * Record the write BEFORE the page becomes writable: another thread's
	 * store may go through as soon as it is, without a fault of its own,
	 * and a get that follows that store must see the page.  No reset can
	 * come in between (resets re-arm under plock, which we hold), so the
	 * bit set here is never cleared before the unprotect.  If the unprotect
	 * then fails, the page is over-reported at worst.
	 */
	mark_written(st, page, page + size);
	marked = size;
	ret = unprotect(st, addr, &page, &size);
	/*
	 * ENOENT: the VMA is no longer registered with us (unwatched, or
	 * replaced since the fault), so the writer's retry cannot fault to us
	 * again.  Outside every published range (unwatched since, or dropped
	 * as unmapped) there is nothing to record.
	 */
	if (ret && ret != -ENOENT) {
		unresolved(st, page, size);
		return;
	}
	if (!ret && (ww_uffd_sync_debug & WW_UFFD_SYNC_DEBUG_SLOW_RESOLVE))
		nanosleep(&(struct timespec){ .tv_nsec = 20 * 1000 * 1000 }, NULL);
	/* A huge page lifted whole is larger than what was marked. */
	if (!ret && size != marked)
		mark_written(st, page, page + size);
	ww_k_uffd_wake(st->uffd, page, size);
}

/* msgs[i] faults on a base page an earlier message of the batch faulted on. */
static bool seen_in_batch(const struct uffd_msg *msgs, ssize_t i)
{
	uintptr_t page = ww_align_down(msgs[i].arg.pagefault.address, ww_page_size());
	ssize_t j;

	for (j = 0; j < i; j++)
		if (msgs[j].event == UFFD_EVENT_PAGEFAULT &&
		    ww_align_down(msgs[j].arg.pagefault.address, ww_page_size()) == page)
			return true;
	return false;
}

/*
 * Read and resolve one batch of messages, all under plock (see
 * src/uffd_sync.h for why).  A message for a page resolved earlier in the
 * batch needs nothing: resolving that page woke its writer too.
 */
static int handle_batch(struct sync_state *st)
{
	struct uffd_msg msgs[MSG_BATCH];
	ssize_t n, i;

	pthread_mutex_lock(&st->plock);
	n = ww_k_uffd_read(st->uffd, msgs, MSG_BATCH);
	for (i = 0; i < n; i++) {
		if (msgs[i].event != UFFD_EVENT_PAGEFAULT)
			continue;
		if (seen_in_batch(msgs, i))
			atomic_fetch_add(&ww_uffd_sync_debug_dups, 1);
		else
			resolve_fault(st, msgs[i].arg.pagefault.address);
	}
	pthread_mutex_unlock(&st->plock);
	/* A userfaultfd never reads 0 bytes: the descriptor is not ours any more. */
	return n > 0 ? 0 : n == 0 ? -EBADF : (int)n;
}

/* Thread stop request seen (ww_sync_thread_stop() wrote the wake-up descriptor). */
#define THREAD_STOP 1

/*
 * Wait for a message, or for the stop request, at most timeout_ms (-1: no
 * limit).  Returns 0 (messages, or the timeout), THREAD_STOP, or -errno.
 */
static int wait_for_faults(struct sync_state *st, int timeout_ms)
{
	struct pollfd pfd[2] = {
		{ .fd = st->uffd, .events = POLLIN },
		{ .fd = st->wake_fd, .events = POLLIN },
	};
	int n = poll(pfd, 2, timeout_ms);

	if (n < 0)
		return errno == EINTR ? -EAGAIN : -errno;
	if (pfd[1].revents)
		return THREAD_STOP;
	if (pfd[0].revents & POLLNVAL)
		return -EBADF;
	/* POLLERR: the descriptor is no longer a non-blocking, initialised userfaultfd. */
	return pfd[0].revents & POLLERR ? -EBADF : 0;
}

/*
 * Transient failures (EAGAIN: a fault woken before it was read; ENOMEM) lose
 * nothing, the messages stay queued: retry, backing off once they repeat.
 * Anything else means the userfaultfd is gone, and with it every
 * protection: break every range and wait to be stopped.  Returns
 * THREAD_STOP when the stop request came meanwhile.
 */
static int thread_failed(struct sync_state *st, int err, unsigned int fails)
{
	unsigned int k = fails < 10 ? fails : 10;
	struct pollfd wake = { .fd = st->wake_fd, .events = POLLIN };

	if (err != -EAGAIN && err != -ENOMEM && err != -EINTR) {
		atomic_store(&st->err, -EIO);
		while (poll(&wake, 1, -1) <= 0)
			;
		return THREAD_STOP;
	}
	if (fails < 4)
		return 0;
	/* 1 ms doubling to 64 ms, cut short by a stop request. */
	return poll(&wake, 1, 1 << (k - 4)) > 0 ? THREAD_STOP : 0;
}

static void *fault_thread(void *arg)
{
	struct sync_state *st = arg;
	unsigned int fails = 0;
	int ret;

	for (;;) {
		ret = wait_for_faults(st, -1);
		if (ret == THREAD_STOP)
			return NULL;
		if (!ret)
			ret = handle_batch(st);
		if (!ret) {
			fails = 0;
			continue;
		}
		if (thread_failed(st, ret, ++fails) == THREAD_STOP)
			return NULL;
	}
}

int ww_sync_thread_start(struct sync_state *st)
{
	sigset_t all, old;
	int ret;

	/* The thread takes no signal: the application's handlers run elsewhere. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = -pthread_create(&st->thread, NULL, fault_thread, st);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret)
		return ret;
	st->thread_started = true;
	pthread_setname_np(st->thread, "ww-uffd-sync");
	return 0;
}

/*
 * A wake-up descriptor rather than pthread_cancel(): cancelling a thread
 * inside poll() unwinds its stack in a way AddressSanitizer does not follow,
 * and a stop request is simpler to reason about.  The core closes the
 * descriptor (t->aux_fd) in a forked child, so nothing leaks there.
 */
void ww_sync_thread_stop(struct sync_state *st)
{
	uint64_t one = 1;

	if (!st->thread_started)
		return;
	while (write(st->wake_fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
	pthread_join(st->thread, NULL);
	st->thread_started = false;
}
