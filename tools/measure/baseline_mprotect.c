/* SPDX-License-Identifier: MIT */
/*
 * Baseline: mprotect + SIGSEGV by hand, the way Wine's write watches and
 * Boehm GC's MPROTECT_VDB do it.  The range is read-only; a SIGSEGV handler
 * makes the faulting page read-write and sets its byte in a dirty map; get =
 * scan the map, reset = one mprotect(PROT_READ) over the whole range.  One
 * range per process (the handler has one table), which is all a measuring
 * child needs.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "target.h"

__thread sigjmp_buf *wb_plain_escape;
volatile int wb_plain_error;

static struct {
	char *base;
	size_t len;
	size_t page;
	unsigned char *dirty;           /* one byte per page: what Wine keeps too */
	struct sigaction old;
} plain;

static void plain_chain(int sig, siginfo_t *si, void *uc)
{
	if (plain.old.sa_flags & SA_SIGINFO) {
		plain.old.sa_sigaction(sig, si, uc);
		return;
	}
	if (plain.old.sa_handler != SIG_DFL && plain.old.sa_handler != SIG_IGN) {
		plain.old.sa_handler(sig);
		return;
	}
	/* Default action: restore it and let the fault happen again. */
	sigaction(SIGSEGV, &plain.old, NULL);
}

static void plain_handler(int sig, siginfo_t *si, void *uc)
{
	char *a = si->si_addr;
	uintptr_t page;

	if (sig != SIGSEGV || si->si_code != SEGV_ACCERR || !plain.base ||
	    a < plain.base || a >= plain.base + plain.len) {
		plain_chain(sig, si, uc);
		return;
	}
	page = (uintptr_t)a & ~(plain.page - 1);
	/* Writable first, then marked (a racing get may clear the mark: never lost). */
	if (mprotect((void *)page, plain.page, PROT_READ | PROT_WRITE)) {
		wb_plain_error = errno;
		if (wb_plain_escape)
			siglongjmp(*wb_plain_escape, 1);
		abort();
	}
	__atomic_store_n(&plain.dirty[(page - (uintptr_t)plain.base) / plain.page], 1,
			 __ATOMIC_RELEASE);
}

static int plain_available(char *why, size_t whylen)
{
	return 0;
}

static int plain_open(struct wb_target *t, char *why, size_t whylen)
{
	struct sigaction sa;

	if (plain.base) {
		snprintf(why, whylen, "plain-mprotect tracks one range per process");
		return -EBUSY;
	}
	plain.page = wb_page();
	if (wb_cost_check(t->len / plain.page, "a byte map of every page, scanned by every get",
			  why, whylen))
		return -ENOMEM;
	plain.dirty = calloc(t->len / plain.page, 1);
	if (!plain.dirty)
		return -ENOMEM;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = plain_handler;
	sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, &plain.old)) {
		snprintf(why, whylen, "sigaction: %s", wb_errname(errno));
		return -errno;
	}
	plain.base = t->base;
	plain.len = t->len;
	t->priv = &plain;
	if (mprotect(t->base, t->len, PROT_READ)) {
		snprintf(why, whylen, "mprotect: %s", wb_errname(errno));
		return -errno;
	}
	return 0;
}

static void plain_close(struct wb_target *t)
{
	if (t->priv != &plain) {
		/* The open failed before the handler was installed. */
		if (!plain.base) {
			free(plain.dirty);
			plain.dirty = NULL;
		}
		return;
	}
	mprotect(t->base, t->len, PROT_READ | PROT_WRITE);
	sigaction(SIGSEGV, &plain.old, NULL);
	plain.base = NULL;
	free(plain.dirty);
	plain.dirty = NULL;
	t->priv = NULL;
}

/*
 * Clear and collect the dirty bytes of [i, npages) into runs; skips eight
 * clean pages at a time.  Returns the pages found.
 */
static long plain_scan(uintptr_t base, size_t npages, wb_run_fn fn, void *arg)
{
	size_t i = 0, run = 0;
	bool in_run = false;
	long pages = 0;

	while (i < npages) {
		uint64_t w;

		if (!in_run && i + 8 <= npages && !(i & 7)) {
			memcpy(&w, &plain.dirty[i], sizeof(w));
			if (!w) {
				i += 8;
				continue;
			}
		}
		if (__atomic_exchange_n(&plain.dirty[i], 0, __ATOMIC_ACQ_REL)) {
			if (!in_run)
				run = i;
			in_run = true;
			pages++;
		} else if (in_run) {
			in_run = false;
			if (fn)
				fn(arg, base + run * plain.page, base + i * plain.page);
		}
		i++;
	}
	if (in_run && fn)
		fn(arg, base + run * plain.page, base + npages * plain.page);
	return pages;
}

static long plain_get_reset(struct wb_target *t, wb_run_fn fn, void *arg)
{
	long pages = plain_scan((uintptr_t)t->base, t->len / plain.page, fn, arg);

	/* Like Wine's ResetWriteWatch and Boehm's GC_protect_heap: the whole range at once. */
	if (mprotect(t->base, t->len, PROT_READ))
		return -errno;
	return pages;
}

const struct wb_target_ops wb_plain_mprotect_ops = {
	.available = plain_available,
	.open = plain_open,
	.get_reset = plain_get_reset,
	.close = plain_close,
};
