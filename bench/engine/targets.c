/* SPDX-License-Identifier: MIT */
/*
 * The tracking methods the engine compares:
 *
 *  raw          the kernel sequence written by hand with ioctl(): userfaultfd
 *               with UFFD_FEATURE_WP_ASYNC, UFFDIO_REGISTER_MODE_WP,
 *               UFFDIO_WRITEPROTECT to arm, PAGEMAP_SCAN with
 *               PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC looped on
 *               walk_end to get and reset.  Nothing can be faster through
 *               these kernel interfaces: the library is measured against it.
 *  uffd-async, uffd-sync, mprotect
 *               libwritewatch (ww_watch / ww_get_regions(WW_GET_RESET) /
 *               ww_reset), backend chosen explicitly.
 *  plain-mprotect
 *               what Wine's write watches and Boehm GC's MPROTECT_VDB do: the
 *               range read-only, a SIGSEGV handler that mprotect()s the
 *               faulting page read-write and sets its byte in a dirty map;
 *               get = scan the map, reset = one mprotect(PROT_READ) over the
 *               whole range.
 *  old-pagemap  the interface before PAGEMAP_SCAN: the same async
 *               write-protection, but written pages found by reading
 *               /proc/self/pagemap (8 bytes a page, uffd-wp bit 57 clear)
 *               and re-protected one page at a time with UFFDIO_WRITEPROTECT.
 *  untracked    nothing: the floor for the write path.
 *
 * The engine is not the library, so it calls ioctl() itself: the point of
 * "raw" is to owe nothing to libwritewatch.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "writewatch.h"
#include "uapi.h"
#include "targets.h"

#define PM_UFFD_WP (1ULL << 57)
#define PM_CHUNK 8192           /* pagemap entries read at a time (64 KiB) */

struct wb_target {
	enum wb_method m;
	char *base;
	size_t len;
	/* raw, old-pagemap */
	int uffd;
	int pmfd;
	struct page_region *vec;
	uint64_t *pm;
	/* library */
	struct ww_tracker *t;
	struct ww_region *regs;
};

static const char *const method_names[WB_NMETHODS] = {
	[WB_UNTRACKED] = "untracked",
	[WB_RAW] = "raw",
	[WB_UFFD_ASYNC] = "uffd-async",
	[WB_UFFD_SYNC] = "uffd-sync",
	[WB_MPROTECT] = "mprotect",
	[WB_PLAIN_MPROTECT] = "plain-mprotect",
	[WB_OLD_PAGEMAP] = "old-pagemap",
};

static const char *const method_descs[WB_NMETHODS] = {
	[WB_UNTRACKED] = "no tracking at all (the floor)",
	[WB_RAW] = "raw kernel sequence by hand: uffd WP_ASYNC + PAGEMAP_SCAN (the limit)",
	[WB_UFFD_ASYNC] = "libwritewatch, uffd-async backend",
	[WB_UFFD_SYNC] = "libwritewatch, uffd-sync backend",
	[WB_MPROTECT] = "libwritewatch, mprotect backend",
	[WB_PLAIN_MPROTECT] = "hand-rolled mprotect + SIGSEGV, page-at-a-time (Wine/Boehm style)",
	[WB_OLD_PAGEMAP] = "old interface: /proc/self/pagemap read + per-page UFFDIO_WRITEPROTECT",
};

const char *wb_method_name(enum wb_method m)
{
	return (unsigned)m < WB_NMETHODS ? method_names[m] : "?";
}

const char *wb_method_desc(enum wb_method m)
{
	return (unsigned)m < WB_NMETHODS ? method_descs[m] : "?";
}

int wb_method_parse(const char *name, enum wb_method *out)
{
	int i;

	for (i = 0; i < WB_NMETHODS; i++) {
		if (!strcmp(name, method_names[i])) {
			*out = (enum wb_method)i;
			return 0;
		}
	}
	return -EINVAL;
}

bool wb_method_measures_first_write(enum wb_method m)
{
	/* old-pagemap writes exactly like raw: only its get differs. */
	return m != WB_OLD_PAGEMAP;
}

bool wb_method_measures_get_reset(enum wb_method m)
{
	return m != WB_UNTRACKED;
}

static enum ww_backend lib_backend(enum wb_method m)
{
	switch (m) {
	case WB_UFFD_ASYNC:
		return WW_BACKEND_UFFD_ASYNC;
	case WB_UFFD_SYNC:
		return WW_BACKEND_UFFD_SYNC;
	case WB_MPROTECT:
		return WW_BACKEND_MPROTECT;
	default:
		return WW_BACKEND_AUTO;
	}
}

/* ---- raw kernel calls ---- */

static int xioctl(int fd, unsigned long req, void *arg)
{
	for (;;) {
		if (ioctl(fd, req, arg) >= 0)
			return 0;
		/* EAGAIN from userfaultfd: the address space changed under it; retry. */
		if (errno != EINTR && errno != EAGAIN)
			return -errno;
	}
}

/* A userfaultfd the way a program without the library would get one. */
static int raw_uffd_open(void)
{
	int flags = O_CLOEXEC | O_NONBLOCK;
	long fd = syscall(SYS_userfaultfd, flags);
	int dev;

	if (fd >= 0 || errno != EPERM)
		return fd >= 0 ? (int)fd : -errno;
	dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
	if (dev >= 0) {
		fd = ioctl(dev, USERFAULTFD_IOC_NEW, flags);
		close(dev);
		if (fd >= 0)
			return (int)fd;
	}
	fd = syscall(SYS_userfaultfd, flags | UFFD_USER_MODE_ONLY);
	return fd >= 0 ? (int)fd : -errno;
}

static int raw_wp(int uffd, uintptr_t start, size_t len, bool protect)
{
	struct uffdio_writeprotect wp = {
		.range = { .start = start, .len = len },
		.mode = protect ? UFFDIO_WRITEPROTECT_MODE_WP : 0,
	};

	return xioctl(uffd, UFFDIO_WRITEPROTECT, &wp);
}

/* uffd with WP_ASYNC, range registered and armed; the pagemap fd open. */
static int raw_setup(struct wb_target *t, char *why, size_t whylen)
{
	struct uffdio_api api = {
		.api = UFFD_API,
		.features = UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED,
	};
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)t->base, .len = t->len },
		.mode = UFFDIO_REGISTER_MODE_WP,
	};
	int ret;

	ret = raw_uffd_open();
	if (ret < 0) {
		snprintf(why, whylen, "userfaultfd: %s", strerror(-ret));
		return ret;
	}
	t->uffd = ret;
	ret = xioctl(t->uffd, UFFDIO_API, &api);
	if (ret) {
		snprintf(why, whylen, "UFFDIO_API(WP_ASYNC): %s (needs Linux >= 6.7)", strerror(-ret));
		return ret == -EINVAL ? -EOPNOTSUPP : ret;
	}
	ret = xioctl(t->uffd, UFFDIO_REGISTER, &reg);
	if (ret) {
		snprintf(why, whylen, "UFFDIO_REGISTER(WP): %s", strerror(-ret));
		return ret;
	}
	ret = raw_wp(t->uffd, (uintptr_t)t->base, t->len, true);
	if (ret) {
		snprintf(why, whylen, "UFFDIO_WRITEPROTECT: %s", strerror(-ret));
		return ret;
	}
	t->pmfd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (t->pmfd < 0) {
		ret = -errno;
		snprintf(why, whylen, "/proc/self/pagemap: %s", strerror(errno));
		return ret;
	}
	return 0;
}

static void raw_teardown(struct wb_target *t)
{
	if (t->uffd >= 0) {
		struct uffdio_range range = { .start = (uintptr_t)t->base, .len = t->len };

		/* Unprotect before close: old kernels left uffd-wp bits behind. */
		raw_wp(t->uffd, (uintptr_t)t->base, t->len, false);
		xioctl(t->uffd, UFFDIO_UNREGISTER, &range);
		close(t->uffd);
	}
	if (t->pmfd >= 0)
		close(t->pmfd);
}

/* The whole raw get-and-reset: PAGEMAP_SCAN, looped on walk_end. */
static long raw_get_reset(struct wb_target *t, wb_run_fn fn, void *arg)
{
	struct pm_scan_arg a = {
		.size = sizeof(a),
		.flags = PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC,
		.start = (uintptr_t)t->base,
		.end = (uintptr_t)t->base + t->len,
		.vec = (uintptr_t)t->vec,
		.vec_len = WB_RAW_VEC,
		.category_mask = PAGE_IS_WRITTEN,
		.return_mask = PAGE_IS_WRITTEN,
	};
	long pages = 0;

	for (;;) {
		long n = ioctl(t->pmfd, PAGEMAP_SCAN, &a), i;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (i = 0; i < n; i++) {
			pages += (t->vec[i].end - t->vec[i].start) / WB_PAGE;
			if (fn)
				fn(arg, t->vec[i].start, t->vec[i].end);
		}
		if (a.walk_end >= a.end)
			return pages;
		a.start = a.walk_end;
	}
}

/* The old way: read the pagemap, re-protect every written page on its own. */
static long old_get_reset(struct wb_target *t, wb_run_fn fn, void *arg)
{
	uintptr_t base = (uintptr_t)t->base;
	size_t npages = t->len / WB_PAGE, i = 0;
	long pages = 0;

	while (i < npages) {
		size_t n = npages - i < PM_CHUNK ? npages - i : PM_CHUNK, j;
		off_t off = (off_t)((base / WB_PAGE + i) * sizeof(uint64_t));
		ssize_t got = pread(t->pmfd, t->pm, n * sizeof(uint64_t), off);

		if (got < 0)
			return -errno;
		n = (size_t)got / sizeof(uint64_t);
		if (!n)
			return -EIO;
		for (j = 0; j < n; j++) {
			uintptr_t page = base + (i + j) * WB_PAGE;
			int ret;

			if (t->pm[j] & PM_UFFD_WP)
				continue;
			ret = raw_wp(t->uffd, page, WB_PAGE, true);
			if (ret)
				return ret;
			pages++;
			if (fn)
				fn(arg, page, page + WB_PAGE);
		}
		i += n;
	}
	return pages;
}

/* ---- hand-rolled mprotect + SIGSEGV (one range per process) ---- */

__thread sigjmp_buf *wb_plain_escape;
volatile int wb_plain_error;

static struct {
	char *base;
	size_t len;
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
	page = (uintptr_t)a & ~(WB_PAGE - 1);
	/* Writable first, then marked (a racing get may clear the mark: never lost). */
	if (mprotect((void *)page, WB_PAGE, PROT_READ | PROT_WRITE)) {
		wb_plain_error = errno;
		if (wb_plain_escape)
			siglongjmp(*wb_plain_escape, 1);
		abort();
	}
	__atomic_store_n(&plain.dirty[(page - (uintptr_t)plain.base) / WB_PAGE], 1,
			 __ATOMIC_RELEASE);
}

static int plain_setup(struct wb_target *t, char *why, size_t whylen)
{
	struct sigaction sa;

	if (plain.base) {
		snprintf(why, whylen, "plain-mprotect tracks one range per process");
		return -EBUSY;
	}
	plain.dirty = calloc(t->len / WB_PAGE, 1);
	if (!plain.dirty)
		return -ENOMEM;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = plain_handler;
	sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, &plain.old)) {
		snprintf(why, whylen, "sigaction: %s", strerror(errno));
		return -errno;
	}
	plain.base = t->base;
	plain.len = t->len;
	if (mprotect(t->base, t->len, PROT_READ)) {
		snprintf(why, whylen, "mprotect: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

static void plain_teardown(struct wb_target *t)
{
	if (plain.base != t->base)
		return;
	mprotect(t->base, t->len, PROT_READ | PROT_WRITE);
	sigaction(SIGSEGV, &plain.old, NULL);
	plain.base = NULL;
	free(plain.dirty);
	plain.dirty = NULL;
}

static int plain_reset(struct wb_target *t)
{
	memset(plain.dirty, 0, t->len / WB_PAGE);
	return mprotect(t->base, t->len, PROT_READ) ? -errno : 0;
}

/* Scan the dirty map eight pages at a time, clear what it reports, re-protect. */
static long plain_get_reset(struct wb_target *t, wb_run_fn fn, void *arg)
{
	size_t npages = t->len / WB_PAGE, i = 0, run = 0;
	uintptr_t base = (uintptr_t)t->base;
	long pages = 0;
	bool in_run = false;

	while (i < npages) {
		if (!in_run && i + 8 <= npages && !(i & 7)) {
			uint64_t w;

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
				fn(arg, base + run * WB_PAGE, base + i * WB_PAGE);
		}
		i++;
	}
	if (in_run && fn)
		fn(arg, base + run * WB_PAGE, base + npages * WB_PAGE);
	/* Like Wine's ResetWriteWatch and Boehm's GC_protect_heap: the whole range at once. */
	if (mprotect(t->base, t->len, PROT_READ))
		return -errno;
	return pages;
}

/* ---- libwritewatch ---- */

static int lib_setup(struct wb_target *t, char *why, size_t whylen)
{
	int ret = ww_open(&t->t, lib_backend(t->m), 0);

	if (ret) {
		snprintf(why, whylen, "ww_open(%s): %s", wb_method_name(t->m), strerror(-ret));
		return ret;
	}
	ret = ww_watch(t->t, t->base, t->len);
	if (ret) {
		snprintf(why, whylen, "ww_watch: %s", strerror(-ret));
		return ret;
	}
	return 0;
}

/* What a library user writes: ww_get_regions with reset, resumed from *next. */
static long lib_get_reset(struct wb_target *t, wb_run_fn fn, void *arg)
{
	char *at = t->base, *end = t->base + t->len;
	long pages = 0;

	for (;;) {
		void *next = end;
		ssize_t n = ww_get_regions(t->t, at, (size_t)(end - at), t->regs, WB_OUT_REGIONS,
					   WW_GET_RESET, &next), i;

		if (n < 0)
			return (long)n;
		for (i = 0; i < n; i++) {
			/* Regions are byte addresses, [start, end). */
			pages += (long)((t->regs[i].end - t->regs[i].start) / WB_PAGE);
			if (fn)
				fn(arg, t->regs[i].start, t->regs[i].end);
		}
		if ((char *)next >= end)
			return pages;
		at = next;
	}
}

/* ---- dispatch ---- */

int wb_target_open(struct wb_target **out, enum wb_method m, char *base, size_t len,
		   char *why, size_t whylen)
{
	struct wb_target *t = calloc(1, sizeof(*t));
	int ret = 0;

	if (!t)
		return -ENOMEM;
	t->m = m;
	t->base = base;
	t->len = len;
	t->uffd = t->pmfd = -1;
	why[0] = 0;
	switch (m) {
	case WB_UNTRACKED:
		break;
	case WB_RAW:
	case WB_OLD_PAGEMAP:
		t->vec = calloc(WB_RAW_VEC, sizeof(*t->vec));
		t->pm = calloc(PM_CHUNK, sizeof(*t->pm));
		ret = t->vec && t->pm ? raw_setup(t, why, whylen) : -ENOMEM;
		break;
	case WB_UFFD_ASYNC:
	case WB_UFFD_SYNC:
	case WB_MPROTECT:
		t->regs = calloc(WB_OUT_REGIONS, sizeof(*t->regs));
		ret = t->regs ? lib_setup(t, why, whylen) : -ENOMEM;
		break;
	case WB_PLAIN_MPROTECT:
		ret = plain_setup(t, why, whylen);
		break;
	default:
		ret = -EINVAL;
	}
	if (ret) {
		if (!why[0])
			snprintf(why, whylen, "%s", strerror(-ret));
		wb_target_close(t);
		return ret;
	}
	*out = t;
	return 0;
}

int wb_target_reset(struct wb_target *t)
{
	switch (t->m) {
	case WB_RAW:
	case WB_OLD_PAGEMAP:
		return raw_wp(t->uffd, (uintptr_t)t->base, t->len, true);
	case WB_UFFD_ASYNC:
	case WB_UFFD_SYNC:
	case WB_MPROTECT:
		return ww_reset(t->t, t->base, t->len);
	case WB_PLAIN_MPROTECT:
		return plain_reset(t);
	default:
		return 0;
	}
}

long wb_target_get_reset(struct wb_target *t, wb_run_fn fn, void *arg)
{
	switch (t->m) {
	case WB_RAW:
		return raw_get_reset(t, fn, arg);
	case WB_OLD_PAGEMAP:
		return old_get_reset(t, fn, arg);
	case WB_UFFD_ASYNC:
	case WB_UFFD_SYNC:
	case WB_MPROTECT:
		return lib_get_reset(t, fn, arg);
	case WB_PLAIN_MPROTECT:
		return plain_get_reset(t, fn, arg);
	default:
		return -EOPNOTSUPP;
	}
}

void wb_target_close(struct wb_target *t)
{
	if (!t)
		return;
	switch (t->m) {
	case WB_RAW:
	case WB_OLD_PAGEMAP:
		raw_teardown(t);
		break;
	case WB_UFFD_ASYNC:
	case WB_UFFD_SYNC:
	case WB_MPROTECT:
		ww_close(t->t);
		break;
	case WB_PLAIN_MPROTECT:
		plain_teardown(t);
		break;
	default:
		break;
	}
	free(t->vec);
	free(t->pm);
	free(t->regs);
	free(t);
}

/* ---- availability ---- */

/* Can the raw sequence run here?  Try it on one page. */
static int raw_available(char *why, size_t whylen)
{
	char *p = mmap(NULL, WB_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct wb_target *t;
	int ret;
	long n;

	if (p == MAP_FAILED)
		return -ENOMEM;
	p[0] = 1;
	ret = wb_target_open(&t, WB_RAW, p, WB_PAGE, why, whylen);
	if (!ret) {
		n = raw_get_reset(t, NULL, NULL);
		if (n < 0) {
			ret = (int)n;
			snprintf(why, whylen, "PAGEMAP_SCAN: %s (needs Linux >= 6.7)", strerror((int)-n));
		}
		wb_target_close(t);
	}
	munmap(p, WB_PAGE);
	return ret;
}

int wb_method_available(enum wb_method m, char *why, size_t whylen)
{
	struct ww_probe p = { .size = sizeof(p) };
	const struct ww_backend_info *bi;

	why[0] = 0;
	switch (m) {
	case WB_UNTRACKED:
	case WB_PLAIN_MPROTECT:
		return 0;
	case WB_RAW:
	case WB_OLD_PAGEMAP:
		return raw_available(why, whylen);
	case WB_UFFD_ASYNC:
	case WB_UFFD_SYNC:
	case WB_MPROTECT:
		if (ww_probe(&p))
			return -EIO;
		bi = &p.backends[lib_backend(m)];
		if (bi->available)
			return 0;
		snprintf(why, whylen, "%s", bi->reason[0] ? bi->reason : strerror(-bi->error));
		return bi->error ? bi->error : -EOPNOTSUPP;
	default:
		return -EINVAL;
	}
}
