/* SPDX-License-Identifier: MIT */
/*
 * The tracking methods the measuring code compares, and the library's
 * backends as targets:
 *
 *  untracked    nothing: the floor for the write path.
 *  uffd-async, uffd-sync, mprotect
 *               libwritewatch (ww_watch, ww_get_regions(WW_GET_RESET)), the
 *               backend chosen explicitly.
 *  raw, old-pagemap, plain-mprotect
 *               baselines written by hand without the library
 *               (baseline_raw.c, baseline_mprotect.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "writewatch.h"
#include "target.h"

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
	[WB_RAW] = "baseline: uffd WP_ASYNC + PAGEMAP_SCAN by hand with ioctl() (the limit)",
	[WB_UFFD_ASYNC] = "libwritewatch, uffd-async backend",
	[WB_UFFD_SYNC] = "libwritewatch, uffd-sync backend",
	[WB_MPROTECT] = "libwritewatch, mprotect backend",
	[WB_PLAIN_MPROTECT] = "baseline: mprotect + SIGSEGV by hand, page at a time (Wine/Boehm style)",
	[WB_OLD_PAGEMAP] = "baseline: /proc/self/pagemap read + per-page UFFDIO_WRITEPROTECT",
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
	int i = wb_name_index(method_names, WB_NMETHODS, name);

	if (i < 0)
		return i;
	*out = (enum wb_method)i;
	return 0;
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

/* ---- untracked ---- */

static int none_available(char *why, size_t whylen)
{
	return 0;
}

static int none_open(struct wb_target *t, char *why, size_t whylen)
{
	return 0;
}

static long none_get_reset(struct wb_target *t, wb_run_fn fn, void *arg)
{
	return -EOPNOTSUPP;
}

static void none_close(struct wb_target *t)
{
}

static const struct wb_target_ops none_ops = {
	.available = none_available,
	.open = none_open,
	.get_reset = none_get_reset,
	.close = none_close,
};

/* ---- libwritewatch ---- */

struct lib_state {
	struct ww_tracker *t;
	struct ww_region regs[WB_OUT_REGIONS];
};

static enum ww_backend lib_backend(enum wb_method m)
{
	switch (m) {
	case WB_UFFD_ASYNC:
		return WW_BACKEND_UFFD_ASYNC;
	case WB_UFFD_SYNC:
		return WW_BACKEND_UFFD_SYNC;
	default:
		return WW_BACKEND_MPROTECT;
	}
}

static int lib_open(struct wb_target *t, char *why, size_t whylen)
{
	struct lib_state *s = calloc(1, sizeof(*s));
	int ret;

	if (!s)
		return -ENOMEM;
	t->priv = s;
	ret = ww_open(&s->t, lib_backend(t->m), 0);
	if (ret) {
		s->t = NULL;
		snprintf(why, whylen, "ww_open(%s): %s", wb_method_name(t->m), wb_errname(ret));
		return ret;
	}
	ret = ww_watch(s->t, t->base, t->len);
	if (ret)
		snprintf(why, whylen, "ww_watch: %s", wb_errname(ret));
	return ret;
}

/* What a library user writes: ww_get_regions with reset, resumed from *next. */
static long lib_get_reset(struct wb_target *t, wb_run_fn fn, void *arg)
{
	struct lib_state *s = t->priv;
	char *at = t->base, *end = t->base + t->len;
	long pages = 0;

	for (;;) {
		void *next = end;
		ssize_t n = ww_get_regions(s->t, at, (size_t)(end - at), s->regs, WB_OUT_REGIONS,
					   WW_GET_RESET, &next), i;

		if (n < 0)
			return (long)n;
		for (i = 0; i < n; i++) {
			/* Regions are byte addresses, [start, end). */
			pages += (long)((s->regs[i].end - s->regs[i].start) / wb_page());
			if (fn)
				fn(arg, s->regs[i].start, s->regs[i].end);
		}
		if ((char *)next >= end)
			return pages;
		at = next;
	}
}

static void lib_close(struct wb_target *t)
{
	struct lib_state *s = t->priv;

	if (!s)
		return;
	ww_close(s->t);
	free(s);
	t->priv = NULL;
}

/* What ww_probe_backend() says of the backend: it opens a tracker to know. */
static int lib_available_as(enum wb_method m, char *why, size_t whylen)
{
	struct ww_backend_info bi = { .size = sizeof(bi) };
	int ret = ww_probe_backend(lib_backend(m), &bi);

	if (ret) {
		snprintf(why, whylen, "ww_probe_backend: %s", wb_errname(ret));
		return ret;
	}
	if (bi.available)
		return 0;
	snprintf(why, whylen, "%s", bi.reason[0] ? bi.reason : wb_errname(bi.error));
	return bi.error ? bi.error : -EOPNOTSUPP;
}

#define LIB_AVAILABLE(name, m) \
	static int name(char *why, size_t whylen) { return lib_available_as(m, why, whylen); }
LIB_AVAILABLE(async_available, WB_UFFD_ASYNC)
LIB_AVAILABLE(sync_available, WB_UFFD_SYNC)
LIB_AVAILABLE(mprotect_available, WB_MPROTECT)

#define LIB_OPS(avail) { .available = avail, .open = lib_open, \
			 .get_reset = lib_get_reset, .close = lib_close }

static const struct wb_target_ops lib_ops[3] = {
	LIB_OPS(async_available), LIB_OPS(sync_available), LIB_OPS(mprotect_available),
};

/* ---- dispatch ---- */

static const struct wb_target_ops *method_ops(enum wb_method m)
{
	switch (m) {
	case WB_UNTRACKED:
		return &none_ops;
	case WB_RAW:
		return &wb_raw_ops;
	case WB_OLD_PAGEMAP:
		return &wb_old_pagemap_ops;
	case WB_PLAIN_MPROTECT:
		return &wb_plain_mprotect_ops;
	case WB_UFFD_ASYNC:
		return &lib_ops[0];
	case WB_UFFD_SYNC:
		return &lib_ops[1];
	case WB_MPROTECT:
		return &lib_ops[2];
	default:
		return NULL;
	}
}

int wb_method_available(enum wb_method m, char *why, size_t whylen)
{
	const struct wb_target_ops *ops = method_ops(m);

	why[0] = 0;
	return ops ? ops->available(why, whylen) : -EINVAL;
}

int wb_target_open(struct wb_target **out, enum wb_method m, char *base, size_t len,
		   char *why, size_t whylen)
{
	const struct wb_target_ops *ops = method_ops(m);
	struct wb_target *t;
	int ret;

	if (!ops)
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	*t = (struct wb_target){ .m = m, .ops = ops, .base = base, .len = len };
	why[0] = 0;
	ret = ops->open(t, why, whylen);
	if (ret) {
		if (!why[0])
			snprintf(why, whylen, "%s", wb_errname(ret));
		wb_target_close(t);
		return ret;
	}
	*out = t;
	return 0;
}

long wb_target_get_reset(struct wb_target *t, wb_run_fn fn, void *arg)
{
	return t->ops->get_reset(t, fn, arg);
}

void wb_target_close(struct wb_target *t)
{
	if (!t)
		return;
	t->ops->close(t);
	free(t);
}
