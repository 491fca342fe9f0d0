/* SPDX-License-Identifier: MIT */
/*
 * The restore measure (see restore.h).  A run writes one byte into each of
 * `pages` distinct pages (an affine permutation of the page indexes, fresh
 * per run) and then puts the range back; after each run the written bytes
 * are checked against the saved state.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "writewatch.h"
#include "measure.h"
#include "restore.h"
#include "target.h"

#define FILL 0x5a
#define MARK 0xa5
#define RUN_BUDGET_S 3.0        /* stop adding runs after this much measured time (>= 3 runs) */

static const char *const names[WR_NMETHODS] = {
	"snap-uffd-async", "snap-uffd-sync", "snap-mprotect", "copy", "memfd-dontneed",
	"pagemap-scan", "fork",
};
static const char *const descs[WR_NMETHODS] = {
	"ww_snapshot_restore on the uffd-async backend",
	"ww_snapshot_restore on the uffd-sync backend",
	"ww_snapshot_restore on the mprotect backend",
	"memcpy of the whole range from a saved copy",
	"memfd MAP_PRIVATE mapping reset by MADV_DONTNEED of the whole range",
	"memfd MAP_PRIVATE, PAGEMAP_SCAN for pages not backed by the file, DONTNEED them (wasmtime)",
	"fork per run: the child writes and exits, the parent's memory never changes",
};

const char *wr_method_name(enum wr_method m) { return m < WR_NMETHODS ? names[m] : "?"; }
const char *wr_method_desc(enum wr_method m) { return m < WR_NMETHODS ? descs[m] : "?"; }

int wr_method_parse(const char *name, enum wr_method *out)
{
	int i = wb_name_index(names, WR_NMETHODS, name);

	if (i < 0)
		return -EINVAL;
	*out = (enum wr_method)i;
	return 0;
}

struct arena {
	const struct wr_case *c;
	enum wr_method m;
	char *mem;
	size_t npages;
	char *image;                    /* WR_COPY */
	int scan_fd;                    /* WR_PAGEMAP */
	struct ww_tracker *t;
	struct ww_snapshot *s;
	uint64_t seed;
};

static bool is_snap(enum wr_method m)
{
	return m <= WR_SNAP_MPROTECT;
}

/* The populated pages of a sparse range: WR_SPARSE_POP of them, evenly spread. */
static bool populated(const struct arena *a, size_t pg)
{
	size_t step = a->npages / WR_SPARSE_POP;

	return !a->c->sparse || (pg % step == 0 && pg / step < WR_SPARSE_POP);
}

static char *map_range(const struct arena *a, int fd, int flags)
{
	void *p = mmap(NULL, a->c->size, PROT_READ | PROT_WRITE,
		       flags | (a->c->sparse ? MAP_NORESERVE : 0), fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Fill the populated pages of p (dense: all) with FILL. */
static void fill(const struct arena *a, char *p)
{
	size_t ps = wb_page();

	if (!a->c->sparse) {
		memset(p, FILL, a->c->size);
		return;
	}
	for (size_t pg = 0; pg < a->npages; pg += a->npages / WR_SPARSE_POP)
		memset(p + pg * ps, FILL, ps);
}

/* A memfd holding the state, mapped MAP_PRIVATE and read in (so its pages are the file's). */
static int setup_memfd(struct arena *a)
{
	int fd = memfd_create("ww-restore", MFD_CLOEXEC);
	volatile char sink = 0;
	char *sh;

	if (fd < 0 || ftruncate(fd, (off_t)a->c->size))
		return -errno;
	sh = map_range(a, fd, MAP_SHARED);
	if (!sh)
		return -errno;
	fill(a, sh);
	munmap(sh, a->c->size);
	a->mem = map_range(a, fd, MAP_PRIVATE);
	close(fd);
	if (!a->mem)
		return -errno;
	for (size_t pg = 0; pg < a->npages; pg++)
		if (populated(a, pg))
			sink += a->mem[pg * wb_page()];
	(void)sink;
	return 0;
}

static int setup_anon(struct arena *a)
{
	a->mem = map_range(a, -1, MAP_PRIVATE | MAP_ANONYMOUS);
	if (!a->mem)
		return -errno;
	fill(a, a->mem);
	return 0;
}

static const enum ww_backend snap_backend[] = {
	WW_BACKEND_UFFD_ASYNC, WW_BACKEND_UFFD_SYNC, WW_BACKEND_MPROTECT,
};

/* Page tables of an armed range cost 8 bytes a page: refuse what would crowd out memory. */
static int pt_check(const struct arena *a, char *why, size_t whylen)
{
	long avail = sysconf(_SC_AVPHYS_PAGES) * (long)wb_page();
	double pt = (double)a->npages * 8;

	if (a->m == WR_SNAP_MPROTECT || pt <= avail / 4.0)
		return 0;
	snprintf(why, whylen, "arming needs %.0f MiB of page tables, over a quarter of free memory",
		 pt / 1048576);
	return -E2BIG;
}

static int setup_snap(struct arena *a, char *why, size_t whylen)
{
	struct ww_backend_info info = { .size = sizeof(info) };
	int ret;

	ww_probe_backend(snap_backend[a->m], &info);
	if (!info.available) {
		snprintf(why, whylen, "%s", info.reason);
		return -EOPNOTSUPP;
	}
	ret = pt_check(a, why, whylen);
	if (ret)
		return ret;
	ret = setup_anon(a);
	if (!ret)
		ret = ww_open(&a->t, snap_backend[a->m], 0);
	return ret;
}

/* Everything before the runs; the timed part (take, copy-out) goes into *ms. */
static int setup(struct arena *a, double *ms, char *why, size_t whylen)
{
	double t0;
	int ret;

	if (a->m == WR_COPY && a->c->sparse) {
		snprintf(why, whylen, "copying a sparse range back whole is not a method");
		return -EOPNOTSUPP;
	}
	if (is_snap(a->m))
		ret = setup_snap(a, why, whylen);
	else if (a->m == WR_MEMFD || a->m == WR_PAGEMAP)
		ret = setup_memfd(a);
	else
		ret = setup_anon(a);
	if (ret)
		return ret;
	t0 = wb_now();
	if (is_snap(a->m)) {
		ret = ww_snapshot_take(a->t, a->mem, a->c->size, &a->s);
	} else if (a->m == WR_COPY) {
		a->image = mmap(NULL, a->c->size, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ret = a->image == MAP_FAILED ? -ENOMEM : 0;
		if (!ret)
			memcpy(a->image, a->mem, a->c->size);
	} else if (a->m == WR_PAGEMAP) {
		a->scan_fd = wr_scan_open();
		ret = a->scan_fd < 0 ? a->scan_fd : wr_scan_reset(a->scan_fd, a->mem, a->c->size);
	}
	*ms = (wb_now() - t0) * 1e3;
	return ret;
}

/* The run's pages: i -> (mul * i + add) mod npages, a permutation when npages is a power of 2. */
struct perm {
	size_t mul, add, mask;
};

static size_t perm_at(const struct perm *p, size_t i)
{
	return (p->mul * i + p->add) & p->mask;
}

static void write_pages(const struct arena *a, const struct perm *p)
{
	size_t ps = wb_page();

	for (size_t i = 0; i < a->c->pages; i++)
		a->mem[perm_at(p, i) * ps + (i * 64) % ps] = (char)MARK;
}

static long put_back(struct arena *a)
{
	switch (a->m) {
	case WR_COPY:
		memcpy(a->mem, a->image, a->c->size);
		return -1;
	case WR_MEMFD:
		return madvise(a->mem, a->c->size, MADV_DONTNEED) ? -errno : -1;
	case WR_PAGEMAP: {
		int ret = wr_scan_reset(a->scan_fd, a->mem, a->c->size);

		return ret ? ret : -1;
	}
	default:
		return ww_snapshot_restore(a->s);
	}
}

/* A written page reads as saved again (FILL where populated, else zero). */
static bool run_ok(const struct arena *a, const struct perm *p)
{
	size_t ps = wb_page();

	for (size_t i = 0; i < a->c->pages; i++) {
		size_t pg = perm_at(p, i);
		char want = populated(a, pg) ? (char)FILL : 0;

		if (a->mem[pg * ps + (i * 64) % ps] != want)
			return false;
	}
	return true;
}

/* One run: write the pages and put them back; times in seconds. */
static int run_once(struct arena *a, double *iter, double *restore, long *restored, bool *ok)
{
	struct perm p = { .mul = (size_t)wb_rand(&a->seed) | 1, .add = (size_t)wb_rand(&a->seed),
			  .mask = a->npages - 1 };
	double t0 = wb_now(), t1;
	long n = -1;

	if (a->m == WR_FORK) {
		int st;
		pid_t pid = fork();

		if (pid < 0)
			return -errno;
		if (!pid) {
			write_pages(a, &p);
			_exit(0);
		}
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		t1 = wb_now();
		*iter = t1 - t0;
		*restore = 0;
	} else {
		write_pages(a, &p);
		t1 = wb_now();
		n = put_back(a);
		*iter = wb_now() - t0;
		*restore = *iter - (t1 - t0);
		if (n < -1)
			return (int)n;
	}
	*restored = n;
	*ok = run_ok(a, &p);
	return 0;
}

static void measure_child(void *arg, void *out)
{
	struct wr_result *r = out;
	struct arena a = { .c = &r->c, .m = r->method, .npages = r->c.size / wb_page(),
			   .scan_fd = -1, .seed = 0x13 + r->c.pages };
	double it[64], rs[64], total = 0;
	int ret = setup(&a, &r->setup_ms, r->reason, sizeof(r->reason)), k;
	bool ok;

	if (ret) {
		r->status = ret == -EOPNOTSUPP || ret == -E2BIG ? WR_NA : WR_FAILED;
		if (!r->reason[0])
			snprintf(r->reason, sizeof(r->reason), "setup: %s", wb_errname(ret));
		return;
	}
	/* One untimed run first: first-touch costs of the saved copy and the like. */
	ret = run_once(&a, &it[0], &rs[0], &r->restored, &ok);
	for (k = 0; !ret && k < r->c.reps && k < 64 && (k < 3 || total < RUN_BUDGET_S); k++) {
		ret = run_once(&a, &it[k], &rs[k], &r->restored, &ok);
		total += it[k];
		r->mismatches += !ok;
	}
	if (ret) {
		r->status = WR_FAILED;
		snprintf(r->reason, sizeof(r->reason), "restore: %s", wb_errname(ret));
		return;
	}
	r->reps = k;
	r->iter_us = wb_median(it, (size_t)k) * 1e6;
	r->restore_us = a.m == WR_FORK ? 0 : wb_median(rs, (size_t)k) * 1e6;
	r->status = WR_OK;
}

void wr_measure(const struct wr_case *c, enum wr_method m, int timeout_s, struct wr_result *r)
{
	char why[160] = "";
	int ret;

	memset(r, 0, sizeof(*r));
	r->c = *c;
	r->method = m;
	if (c->size / wb_page() < 2 * c->pages || (c->size / wb_page()) & (c->size / wb_page() - 1)) {
		r->status = WR_NA;
		snprintf(r->reason, sizeof(r->reason),
			 "needs a power-of-two page count of at least twice the pages written");
		return;
	}
	ret = wb_child_run(measure_child, NULL, r, sizeof(*r), timeout_s, why, sizeof(why));
	if (ret) {
		r->status = WR_FAILED;
		snprintf(r->reason, sizeof(r->reason), "%s", why);
	}
}
