/* SPDX-License-Identifier: MIT */
/*
 * Tracker core: argument checks, the registry of watched ranges, locking,
 * and dispatch to the backend.  Backends see only aligned, registered,
 * validated ranges (src/internal.h describes the contract).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"
#include "kernel.h"

/* Scan output buffer: big enough that a get over a sparse range rarely loops. */
#define WW_SCRATCH_REGIONS 1024

/* ---- fork detection ---- */

static unsigned long fork_gen;
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;

static void fork_child(void)
{
	__atomic_add_fetch(&fork_gen, 1, __ATOMIC_RELAXED);
}

static void fork_init(void)
{
	pthread_atfork(NULL, NULL, fork_child);
}

unsigned long ww_fork_generation(void)
{
	pthread_once(&fork_once, fork_init);
	return __atomic_load_n(&fork_gen, __ATOMIC_RELAXED);
}

/* A tracker inherited over fork() belongs to the parent's address space. */
static bool in_forked_child(const struct ww_tracker *t)
{
	return t->fork_gen != ww_fork_generation();
}

void ww_why(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (!why || !whylen)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

/* ---- backends ---- */

const struct ww_backend_ops *ww_backend_ops_get(enum ww_backend b)
{
	switch (b) {
	case WW_BACKEND_UFFD_ASYNC:
		return &ww_uffd_async_ops;
	case WW_BACKEND_UFFD_SYNC:
		return &ww_uffd_sync_ops;
	case WW_BACKEND_MPROTECT:
		return &ww_mprotect_ops;
	default:
		return NULL;
	}
}

static const char *const backend_names[WW_BACKEND_COUNT] = {
	[WW_BACKEND_AUTO] = "auto",
	[WW_BACKEND_UFFD_ASYNC] = "uffd-async",
	[WW_BACKEND_UFFD_SYNC] = "uffd-sync",
	[WW_BACKEND_MPROTECT] = "mprotect",
};

WW_API const char *ww_backend_str(enum ww_backend b)
{
	if ((unsigned)b >= WW_BACKEND_COUNT)
		return NULL;
	return backend_names[b];
}

WW_API int ww_backend_parse(const char *name, enum ww_backend *out)
{
	int i;

	if (!name || !out)
		return -EINVAL;
	for (i = 0; i < WW_BACKEND_COUNT; i++) {
		if (!strcmp(name, backend_names[i])) {
			*out = (enum ww_backend)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* Probing opens file descriptors and maps memory: do it once per backend. */
static struct backend_probe {
	pthread_once_t once;
	int err;
	char why[160];
} probes[WW_BACKEND_COUNT] = {
	[0 ... WW_BACKEND_COUNT - 1] = { .once = PTHREAD_ONCE_INIT },
};

#define PROBE_ONCE_FN(B) \
	static void probe_once_##B(void) \
	{ \
		const struct ww_backend_ops *ops = ww_backend_ops_get(B); \
		probes[B].err = ops->probe(probes[B].why, sizeof(probes[B].why)); \
	}
PROBE_ONCE_FN(WW_BACKEND_UFFD_ASYNC)
PROBE_ONCE_FN(WW_BACKEND_UFFD_SYNC)
PROBE_ONCE_FN(WW_BACKEND_MPROTECT)

static void (*const probe_fns[WW_BACKEND_COUNT])(void) = {
	[WW_BACKEND_UFFD_ASYNC] = probe_once_WW_BACKEND_UFFD_ASYNC,
	[WW_BACKEND_UFFD_SYNC] = probe_once_WW_BACKEND_UFFD_SYNC,
	[WW_BACKEND_MPROTECT] = probe_once_WW_BACKEND_MPROTECT,
};

/* 0 if backend b works here, else -errno (reason in probes[b].why). */
static int backend_probe(enum ww_backend b)
{
	pthread_once(&probes[b].once, probe_fns[b]);
	return probes[b].err;
}

static enum ww_backend best_backend(void)
{
	enum ww_backend b;

	for (b = WW_BACKEND_UFFD_ASYNC; b <= WW_BACKEND_MPROTECT; b++)
		if (!backend_probe(b))
			return b;
	return WW_BACKEND_MPROTECT;     /* mprotect never says no */
}

static int resolve_backend(enum ww_backend want, enum ww_backend *out)
{
	if ((unsigned)want >= WW_BACKEND_COUNT)
		return -EINVAL;
	if (want == WW_BACKEND_AUTO) {
		const char *env = secure_getenv("WRITEWATCH_BACKEND");

		if (env && *env && ww_backend_parse(env, &want))
			return -EINVAL;
	}
	if (want == WW_BACKEND_AUTO)
		want = best_backend();
	if (backend_probe(want))
		return -EOPNOTSUPP;
	*out = want;
	return 0;
}

/* ---- open / close ---- */

WW_API int ww_open(struct ww_tracker **out, enum ww_backend backend, unsigned flags)
{
	struct ww_tracker *t;
	enum ww_backend b;
	int ret;

	if (!out || flags)
		return -EINVAL;
	ret = resolve_backend(backend, &b);
	if (ret)
		return ret;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	/* The scan buffer must never be watched memory: map it privately. */
	t->scratch_len = WW_SCRATCH_REGIONS;
	t->scratch = mmap(NULL, t->scratch_len * sizeof(*t->scratch), PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t->scratch == MAP_FAILED) {
		free(t);
		return -ENOMEM;
	}
	pthread_mutex_init(&t->lock, NULL);
	t->ops = ww_backend_ops_get(b);
	t->fork_gen = ww_fork_generation();
	t->uffd = -1;
	t->pagemap_fd = -1;
	ret = t->ops->open(t);
	if (ret) {
		munmap(t->scratch, t->scratch_len * sizeof(*t->scratch));
		pthread_mutex_destroy(&t->lock);
		free(t);
		return ret;
	}
	*out = t;
	return 0;
}

static void range_remove_at(struct ww_tracker *t, size_t i)
{
	free(t->ranges[i]);
	memmove(&t->ranges[i], &t->ranges[i + 1], (t->nr_ranges - i - 1) * sizeof(t->ranges[0]));
	t->nr_ranges--;
}

/* True when some of r's memory has been unmapped behind our back. */
static bool range_gone(const struct ww_range *r)
{
	return ww_k_mapped(r->start, r->end - r->start) != 0;
}

/* Forget range i; gone: its memory was unmapped, touch no protection. */
static void range_drop(struct ww_tracker *t, size_t i, bool gone)
{
	struct ww_range *r = t->ranges[i];

	t->ops->unwatch(t, r, r->start, r->end, gone);
	range_remove_at(t, i);
}

WW_API void ww_close(struct ww_tracker *t)
{
	size_t i;

	if (!t)
		return;
	if (in_forked_child(t)) {
		/*
		 * The protections and the kernel objects belong to the parent:
		 * drop only this process's file descriptors and memory.  Backend
		 * state cannot be torn down safely here (its threads did not
		 * survive the fork), so it is left to process exit.
		 */
		if (t->uffd >= 0)
			close(t->uffd);
		if (t->pagemap_fd >= 0)
			close(t->pagemap_fd);
		for (i = 0; i < t->nr_ranges; i++)
			free(t->ranges[i]);
	} else {
		pthread_mutex_lock(&t->lock);
		while (t->nr_ranges)
			range_drop(t, t->nr_ranges - 1, range_gone(t->ranges[t->nr_ranges - 1]));
		t->ops->close(t);
		pthread_mutex_unlock(&t->lock);
		pthread_mutex_destroy(&t->lock);
	}
	free(t->ranges);
	munmap(t->scratch, t->scratch_len * sizeof(*t->scratch));
	free(t);
}

WW_API const char *ww_backend_name(const struct ww_tracker *t)
{
	return t ? t->ops->name : NULL;
}

WW_API enum ww_backend ww_backend_id(const struct ww_tracker *t)
{
	return t ? t->ops->id : WW_BACKEND_AUTO;
}

WW_API const char *ww_version(void)
{
	return "0.1.0";
}

/* ---- registry ---- */

/* Index of the first range whose end is above addr (nr_ranges if none). */
static size_t range_search(const struct ww_tracker *t, uintptr_t addr)
{
	size_t lo = 0, hi = t->nr_ranges;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->ranges[mid]->end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct ww_range *range_find(const struct ww_tracker *t, uintptr_t addr)
{
	size_t i = range_search(t, addr);

	if (i < t->nr_ranges && t->ranges[i]->start <= addr)
		return t->ranges[i];
	return NULL;
}

static int range_insert(struct ww_tracker *t, struct ww_range *r, size_t at)
{
	if (t->nr_ranges == t->cap_ranges) {
		size_t cap = t->cap_ranges ? t->cap_ranges * 2 : 8;
		struct ww_range **n = realloc(t->ranges, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		t->ranges = n;
		t->cap_ranges = cap;
	}
	memmove(&t->ranges[at + 1], &t->ranges[at], (t->nr_ranges - at) * sizeof(t->ranges[0]));
	t->ranges[at] = r;
	t->nr_ranges++;
	return 0;
}

/*
 * Split ranges[i] at addr (strictly inside it): the tail becomes ranges[i+1].
 * Nothing changes on failure.
 */
static int range_split(struct ww_tracker *t, size_t i, uintptr_t addr)
{
	struct ww_range *r = t->ranges[i];
	struct ww_range *tail = malloc(sizeof(*tail));
	int ret;

	if (!tail)
		return -ENOMEM;
	*tail = *r;
	tail->start = addr;
	tail->priv = NULL;
	/* Make room first so that the backend's split is the last thing that can fail. */
	ret = range_insert(t, tail, i + 1);
	if (ret) {
		free(tail);
		return ret;
	}
	ret = t->ops->split ? t->ops->split(t, r, tail) : 0;
	if (ret) {
		range_remove_at(t, i + 1);
		return ret;
	}
	r->end = addr;
	return 0;
}

/* ---- argument checks ---- */

/* Common checks for calls taking (t, addr, len); *end receives addr + len. */
static int check_call(const struct ww_tracker *t, const void *addr, size_t len, uintptr_t *end)
{
	uintptr_t a = (uintptr_t)addr;

	if (!t || !len)
		return -EINVAL;
	if (a + len < a)
		return -EINVAL;
	if (in_forked_child(t))
		return -ECHILD;
	*end = a + len;
	return 0;
}

/*
 * [start, end) must be covered by watched ranges with no gap.  Returns the
 * index of the first overlapping range in *first and how many overlap.
 */
static int cover(const struct ww_tracker *t, uintptr_t start, uintptr_t end,
		 size_t *first, size_t *count)
{
	size_t i = range_search(t, start), j;
	uintptr_t at = start;

	*first = i;
	for (j = i; j < t->nr_ranges && at < end; j++) {
		const struct ww_range *r = t->ranges[j];

		if (r->start > at)
			return -ENOENT;
		at = r->end;
	}
	if (at < end)
		return -ENOENT;
	*count = j - i;
	return 0;
}

/*
 * Check the ranges about to be touched are still mapped; drop those that
 * are not (the application unmapped them) and report -EFAULT.
 */
static int check_mapped(struct ww_tracker *t, size_t first, size_t count)
{
	int ret = 0;
	size_t i;

	for (i = first + count; i-- > first;) {
		if (range_gone(t->ranges[i])) {
			range_drop(t, i, true);
			ret = -EFAULT;
		}
	}
	return ret;
}

/* Clamp [start, end) to range r, rounded out to r's pages. */
static void clamp(const struct ww_range *r, uintptr_t start, uintptr_t end,
		  uintptr_t *cs, uintptr_t *ce)
{
	*cs = start > r->start ? ww_align_down(start, r->pagesize) : r->start;
	*ce = end < r->end ? ww_align_up(end, r->pagesize) : r->end;
}

/* ---- watch / unwatch ---- */

/* Page size of [addr, addr+len), or -EINVAL when it mixes page sizes. */
static long range_page_size(uintptr_t addr, size_t len, bool *hugetlb)
{
	long ps = ww_k_page_size_at(addr, hugetlb), ps_last;
	bool huge_last;

	if (ps < 0)
		return ps;
	ps_last = ww_k_page_size_at(ww_align_up(addr + len, (size_t)ps) - 1, &huge_last);
	if (ps_last < 0)
		return ps_last;
	if (ps_last != ps || huge_last != *hugetlb)
		return -EINVAL;
	return ps;
}

static int watch_locked(struct ww_tracker *t, uintptr_t a, size_t len)
{
	struct ww_range *r;
	bool hugetlb;
	long ps;
	size_t at;
	int ret;

	ret = ww_k_mapped(a, len);
	if (ret)
		return ret;
	ps = range_page_size(a, len, &hugetlb);
	if (ps < 0)
		return (int)ps;
	if (a & (ps - 1))
		return -EINVAL;
	len = ww_align_up(len, ps);
	if (a + len < a)
		return -EINVAL;
	at = range_search(t, a);
	if (at < t->nr_ranges && t->ranges[at]->start < a + len)
		return -EEXIST;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	*r = (struct ww_range){ .start = a, .end = a + len, .pagesize = ps, .hugetlb = hugetlb };
	ret = range_insert(t, r, at);
	if (ret) {
		free(r);
		return ret;
	}
	ret = t->ops->watch(t, r);
	if (ret)
		range_remove_at(t, at);
	return ret;
}

WW_API int ww_watch(struct ww_tracker *t, void *addr, size_t len)
{
	uintptr_t end;
	int ret = check_call(t, addr, len, &end);

	if (ret)
		return ret;
	if ((uintptr_t)addr & (ww_page_size() - 1))
		return -EINVAL;
	pthread_mutex_lock(&t->lock);
	ret = watch_locked(t, (uintptr_t)addr, len);
	pthread_mutex_unlock(&t->lock);
	return ret;
}

static int unwatch_locked(struct ww_tracker *t, uintptr_t start, uintptr_t end)
{
	size_t first, count, i, at;
	int ret;

	ret = cover(t, start, end, &first, &count);
	if (ret)
		return ret;
	/* Alignment first, so that a refused call changes nothing. */
	for (i = first; i < first + count; i++) {
		const struct ww_range *r = t->ranges[i];

		if ((start > r->start && (start & (r->pagesize - 1))) ||
		    (end < r->end && (end & (r->pagesize - 1))))
			return -EINVAL;
	}
	/* Walk backwards so that splitting and removing keep indexes valid. */
	for (i = first + count; i-- > first;) {
		struct ww_range *r = t->ranges[i];

		if (end < r->end) {
			ret = range_split(t, i, end);
			if (ret)
				return ret;
		}
		at = i;
		if (start > r->start) {
			ret = range_split(t, i, start);
			if (ret)
				return ret;
			at = i + 1;     /* the part to unwatch is the new tail */
		}
		range_drop(t, at, range_gone(t->ranges[at]));
	}
	return 0;
}

WW_API int ww_unwatch(struct ww_tracker *t, void *addr, size_t len)
{
	uintptr_t end;
	int ret = check_call(t, addr, len, &end);

	if (ret)
		return ret;
	pthread_mutex_lock(&t->lock);
	ret = unwatch_locked(t, (uintptr_t)addr, end);
	pthread_mutex_unlock(&t->lock);
	return ret;
}

/* ---- get ---- */

/* Where scan results go: pages (expanded) or regions (merged). */
struct sink {
	void **pages;
	struct ww_region *regions;
	size_t max;
	size_t n;
};

/* Room left, in pages for the page form, in regions for the region form. */
static size_t sink_room(const struct sink *s)
{
	return s->max - s->n;
}

/* Page form: expand runs into page addresses (the scan never returns more pages than room). */
static void sink_pages(struct sink *s, const struct ww_region *regs, size_t n, size_t pagesize)
{
	size_t i;

	for (i = 0; i < n; i++)
		for (uint64_t a = regs[i].start; a < regs[i].end && s->n < s->max; a += pagesize)
			s->pages[s->n++] = (void *)(uintptr_t)a;
}

/*
 * Region form: the backend wrote n runs straight into the caller's array at
 * s->n (one copy less on the hot path).  A run cut by the backend's buffer or
 * a range boundary is one run to the caller: merge it into the previous one.
 */
static void sink_regions(struct sink *s, size_t n)
{
	struct ww_region *out = s->regions + s->n;

	if (n && s->n && s->regions[s->n - 1].end == out[0].start) {
		s->regions[s->n - 1].end = out[0].end;
		memmove(out, out + 1, (n - 1) * sizeof(*out));
		n--;
	}
	s->n += n;
}

/*
 * Scan [start, end) of range r into the sink.  Returns 0 when the range part
 * was walked completely, 1 when the sink filled first (*stop says where), or
 * -errno.
 */
static int scan_range(struct ww_tracker *t, struct ww_range *r, uintptr_t start, uintptr_t end,
		      bool reset, struct sink *s, uintptr_t *stop)
{
	uintptr_t at = start;

	while (at < end) {
		size_t room = sink_room(s);
		uintptr_t walk_end = at;
		ssize_t n;

		if (!room) {
			*stop = at;
			return 1;
		}
		/*
		 * The page form limits pages (so a limited get resets only what
		 * it returns) and goes through the scratch buffer; the region
		 * form limits runs and writes into the caller's array, never
		 * asking for more runs than it has room for, so nothing is reset
		 * and then dropped.
		 */
		if (s->pages)
			n = t->ops->scan(t, r, at, end, t->scratch, t->scratch_len, room, reset,
					 &walk_end);
		else
			n = t->ops->scan(t, r, at, end, s->regions + s->n, room, UINT64_MAX, reset,
					 &walk_end);
		if (n < 0)
			return (int)n;
		if (s->pages)
			sink_pages(s, t->scratch, (size_t)n, r->pagesize);
		else
			sink_regions(s, (size_t)n);
		if (walk_end <= at && n == 0)
			return -EIO;    /* a backend that makes no progress: never loop forever */
		at = walk_end;
	}
	*stop = end;
	return 0;
}

static ssize_t get_locked(struct ww_tracker *t, uintptr_t start, uintptr_t end,
			  struct sink *s, bool reset, uintptr_t *next)
{
	size_t first, count, i;
	uintptr_t stop = end;
	int ret;

	ret = cover(t, start, end, &first, &count);
	if (ret)
		return ret;
	ret = check_mapped(t, first, count);
	if (ret)
		return ret;
	for (i = first; i < first + count; i++) {
		struct ww_range *r = t->ranges[i];
		uintptr_t cs, ce;

		clamp(r, start, end, &cs, &ce);
		ret = scan_range(t, r, cs, ce, reset, s, &stop);
		if (ret == -EFAULT)     /* the backend saw the memory replaced */
			range_drop(t, i, true);
		if (ret < 0)
			return ret;
		if (ret == 1)
			break;
	}
	if (next)
		*next = stop > end ? end : stop;
	return (ssize_t)s->n;
}

static ssize_t get_common(struct ww_tracker *t, void *addr, size_t len, struct sink *s,
			  unsigned flags, void **next)
{
	uintptr_t end, stop = 0;
	ssize_t ret = check_call(t, addr, len, &end);

	if (ret)
		return ret;
	if (flags & ~WW_GET_RESET || !s->max)
		return -EINVAL;
	if (!s->pages && !s->regions)
		return -EFAULT;
	pthread_mutex_lock(&t->lock);
	ret = get_locked(t, (uintptr_t)addr, end, s, flags & WW_GET_RESET, &stop);
	pthread_mutex_unlock(&t->lock);
	if (ret >= 0 && next)
		*next = (void *)stop;
	return ret;
}

WW_API ssize_t ww_get(struct ww_tracker *t, void *addr, size_t len,
		      void **pages, size_t max, unsigned flags)
{
	struct sink s = { .pages = pages, .max = max };

	return get_common(t, addr, len, &s, flags, NULL);
}

WW_API ssize_t ww_get_regions(struct ww_tracker *t, void *addr, size_t len,
			      struct ww_region *regions, size_t max, unsigned flags,
			      void **next)
{
	struct sink s = { .regions = regions, .max = max };

	return get_common(t, addr, len, &s, flags, next);
}

/* ---- reset / prepare_write / granularity ---- */

typedef int (*range_op)(struct ww_tracker *t, struct ww_range *r, uintptr_t start, uintptr_t end);

/* Apply op to every watched part of [addr, addr+len), which must be fully watched. */
static int for_each_part(struct ww_tracker *t, void *addr, size_t len, range_op op)
{
	size_t first, count, i;
	uintptr_t end;
	int ret = check_call(t, addr, len, &end);

	if (ret)
		return ret;
	pthread_mutex_lock(&t->lock);
	ret = cover(t, (uintptr_t)addr, end, &first, &count);
	if (!ret)
		ret = check_mapped(t, first, count);
	for (i = first; !ret && i < first + count; i++) {
		struct ww_range *r = t->ranges[i];
		uintptr_t cs, ce;

		clamp(r, (uintptr_t)addr, end, &cs, &ce);
		ret = op(t, r, cs, ce);
	}
	pthread_mutex_unlock(&t->lock);
	return ret;
}

static int reset_op(struct ww_tracker *t, struct ww_range *r, uintptr_t start, uintptr_t end)
{
	return t->ops->reset(t, r, start, end);
}

static int prepare_op(struct ww_tracker *t, struct ww_range *r, uintptr_t start, uintptr_t end)
{
	return t->ops->prepare_write(t, r, start, end);
}

WW_API int ww_reset(struct ww_tracker *t, void *addr, size_t len)
{
	return for_each_part(t, addr, len, reset_op);
}

WW_API int ww_prepare_write(struct ww_tracker *t, void *addr, size_t len)
{
	return for_each_part(t, addr, len, prepare_op);
}

WW_API ssize_t ww_granularity(struct ww_tracker *t, void *addr)
{
	struct ww_range *r;
	ssize_t ret;

	if (!t)
		return -EINVAL;
	if (in_forked_child(t))
		return -ECHILD;
	pthread_mutex_lock(&t->lock);
	r = range_find(t, (uintptr_t)addr);
	ret = r ? (ssize_t)r->pagesize : -ENOENT;
	pthread_mutex_unlock(&t->lock);
	return ret;
}

/* ---- probe ---- */

static long read_long_file(const char *path, const char *key)
{
	FILE *f = fopen(path, "re");
	char line[256];
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!key) {
			/* THP "enabled" file: the bracketed word is the mode. */
			v = strstr(line, "[always]") ? 2 : strstr(line, "[madvise]") ? 1 :
			    strstr(line, "[never]") ? 0 : -1;
			break;
		}
		if (!strncmp(line, key, strlen(key))) {
			v = strtol(line + strlen(key), NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

WW_API int ww_probe(struct ww_probe *p)
{
	struct ww_probe full;
	enum ww_uffd_how how = WW_UFFD_SYSCALL;
	int major, minor, b;
	size_t n;

	if (!p || p->size < sizeof(p->size))
		return -EINVAL;
	memset(&full, 0, sizeof(full));
	full.size = sizeof(full);
	ww_k_release(full.kernel_release, sizeof(full.kernel_release), &major, &minor);
	for (b = WW_BACKEND_UFFD_ASYNC; b < WW_BACKEND_COUNT; b++) {
		struct ww_backend_info *bi = &full.backends[b];

		bi->error = backend_probe(b);
		bi->available = !bi->error;
		if (bi->error)
			snprintf(bi->reason, sizeof(bi->reason), "%s", probes[b].why);
	}
	full.best = best_backend();
	full.backends[WW_BACKEND_AUTO].available = 1;
	if (!ww_k_uffd_features(&full.uffd_features, &how))
		full.uffd_user_mode_only = how == WW_UFFD_USER_ONLY;
	full.pagemap_scan = ww_k_pagemap_scan_probe(&full.pagemap_categories) == 1;
	full.thp_enabled = read_long_file("/sys/kernel/mm/transparent_hugepage/enabled", NULL);
	full.hugetlb_default_size = read_long_file("/proc/meminfo", "Hugepagesize:") * 1024;
	if (full.hugetlb_default_size < 0)
		full.hugetlb_default_size = 0;
	full.hugetlb_free_pages = read_long_file("/proc/meminfo", "HugePages_Free:");
	if (full.hugetlb_free_pages < 0)
		full.hugetlb_free_pages = 0;

	/*
	 * A caller built against an older, smaller struct gets the prefix it
	 * knows; a newer, larger one gets zeroes past what this version fills.
	 * size comes back as the number of bytes filled.
	 */
	n = p->size < sizeof(full) ? p->size : sizeof(full);
	if (p->size > sizeof(full))
		memset((char *)p + sizeof(full), 0, p->size - sizeof(full));
	full.size = n;
	memcpy(p, &full, n);
	return 0;
}
