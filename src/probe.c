/* SPDX-License-Identifier: MIT */
/*
 * What this machine offers: backend names, per-backend probes, the choice
 * WW_BACKEND_AUTO makes, and ww_probe().  The kernel layer returns codes and
 * facts; the reasons a person reads are written here and in the backends.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "internal.h"
#include "kernel.h"

void ww_why(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (!why || !whylen)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

/* errno's symbolic name ("EACCES"), or its number when glibc has none. */
const char *ww_errno_name(int err, char *buf, size_t len)
{
	const char *s = strerrorname_np(err < 0 ? -err : err);

	if (s)
		return s;
	snprintf(buf, len, "errno %d", err < 0 ? -err : err);
	return buf;
}

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

/* ---- userfaultfd availability, in words ---- */

int ww_uffd_probe(uint64_t *features, char *why, size_t whylen)
{
	char nb[32];
	int ret = ww_k_uffd_features(features, NULL);

	if (ret == -ENOSYS) {
		ww_why(why, whylen, "kernel built without userfaultfd (CONFIG_USERFAULTFD)");
		return -EOPNOTSUPP;
	}
	if (ret) {
		ww_why(why, whylen, "no userfaultfd can be created here (%s: a seccomp filter, "
		       "or a kernel that refuses even UFFD_USER_MODE_ONLY)",
		       ww_errno_name(ret, nb, sizeof(nb)));
		return -EOPNOTSUPP;
	}
	return 0;
}

/* ---- per-backend probes ---- */

/* Kernel features: probed once per backend (it opens descriptors and maps memory). */
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

/* 0 if the kernel has what backend b needs, else -errno (reason in probes[b].why). */
static int features_probe(enum ww_backend b)
{
	pthread_once(&probes[b].once, probe_fns[b]);
	return probes[b].err;
}

int ww_backend_features(enum ww_backend b)
{
	return features_probe(b);
}

/* Why opening backend b failed with err although its kernel features are there. */
static void open_reason(enum ww_backend b, int err, char *why, size_t whylen)
{
	char nb[32];
	const char *hint = "";

	/* A non-dumpable process may not open its own /proc/self/pagemap. */
	if (err == -EACCES && b == WW_BACKEND_UFFD_ASYNC && prctl(PR_GET_DUMPABLE) == 0)
		hint = ": the process is not dumpable, so /proc/self/pagemap is refused";
	ww_why(why, whylen, "opening a tracker fails here with %s%s",
	       ww_errno_name(err, nb, sizeof(nb)), hint);
}

/*
 * What ww_open(b) does now: the kernel features, then a real open, because
 * some refusals (a non-dumpable process, a descriptor limit) show only then.
 */
static int backend_try(enum ww_backend b, char *why, size_t whylen)
{
	struct ww_tracker *t;
	int ret = features_probe(b);

	if (ret) {
		ww_why(why, whylen, "%s", probes[b].why);
		return ret;
	}
	ret = ww_tracker_open_backend(&t, b);
	if (ret) {
		open_reason(b, ret, why, whylen);
		return ret;
	}
	ww_close(t);
	return 0;
}

WW_API int ww_probe_backend(enum ww_backend b, struct ww_backend_info *info)
{
	struct ww_backend_info full = { .size = sizeof(full) };
	size_t n;

	if (!info || info->size < sizeof(info->size) || !ww_backend_ops_get(b))
		return -EINVAL;
	full.error = backend_try(b, full.reason, sizeof(full.reason));
	full.available = !full.error;
	n = ww_sized_copy(info, &full, sizeof(full));
	info->size = n;
	return 0;
}

/*
 * Copy a sized struct out: a caller built against an older, smaller struct
 * gets the prefix it knows; a newer, larger one gets zeroes past ours.
 * Returns the number of bytes filled.
 */
size_t ww_sized_copy(void *dst, const void *src, size_t src_size)
{
	size_t want = *(const size_t *)dst;
	size_t n = want < src_size ? want : src_size;

	if (want > src_size)
		memset((char *)dst + src_size, 0, want - src_size);
	memcpy(dst, src, n);
	return n;
}

/* ---- the choice AUTO makes ---- */

/*
 * Open a tracker on backend want, or on the first backend that opens here
 * when want is AUTO (after WRITEWATCH_BACKEND).  An explicit backend that
 * the kernel cannot serve is -EOPNOTSUPP; one that fails to open gives the
 * open's error.  AUTO falls through every failure to the next backend.
 */
int ww_open_choice(struct ww_tracker **out, enum ww_backend want)
{
	const char *env;
	enum ww_backend b;
	int ret = -EOPNOTSUPP;

	if ((unsigned)want >= WW_BACKEND_COUNT)
		return -EINVAL;
	env = secure_getenv("WRITEWATCH_BACKEND");
	if (want == WW_BACKEND_AUTO && env && *env && ww_backend_parse(env, &want))
		return -EINVAL;
	if (want != WW_BACKEND_AUTO) {
		if (features_probe(want))
			return -EOPNOTSUPP;
		return ww_tracker_open_backend(out, want);
	}
	for (b = WW_BACKEND_UFFD_ASYNC; b < WW_BACKEND_COUNT; b++) {
		if (features_probe(b))
			continue;
		ret = ww_tracker_open_backend(out, b);
		if (!ret)
			return 0;
	}
	return ret;
}

/* ---- ww_probe ---- */

/* A number from a /proc or /sys file: after key on its line, or the first word (key NULL). */
static long read_long_file(const char *path, const char *key)
{
	FILE *f = fopen(path, "re");
	char line[256];
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!key) {
			v = strtol(line, NULL, 10);
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

#define THP_SYSFS "/sys/kernel/mm/transparent_hugepage/"

/* The bracketed word of a THP "enabled" file: 2 always, 1 madvise, 0 never, 3 inherit, -1. */
static long thp_file_mode(const char *path)
{
	FILE *f = fopen(path, "re");
	char line[256];
	long v = -1;

	if (!f)
		return -1;
	if (fgets(line, sizeof(line), f))
		v = strstr(line, "[always]") ? 2 : strstr(line, "[madvise]") ? 1 :
		    strstr(line, "[never]") ? 0 : strstr(line, "[inherit]") ? 3 : -1;
	fclose(f);
	return v;
}

/* THP mode: the bracketed word of the "enabled" file. */
long ww_thp_mode(void)
{
	return thp_file_mode(THP_SYSFS "enabled");
}

/*
 * Since Linux 6.8 each THP size has its own "enabled" (always, madvise,
 * never, or inherit the global one): PMD-size pages may be "always" with the
 * global mode "never", or "never" under a global "always".  Only the PMD
 * size matters to anonymous memory registered with a userfaultfd: smaller
 * (mTHP) sizes fall back to base pages there ("per-page fault fidelity").
 * And a process may have THP disabled for itself (PR_SET_THP_DISABLE; with
 * PR_THP_DISABLE_EXCEPT_ADVISED, Linux 6.18, only MADV_HUGEPAGE memory keeps it).
 */
long ww_thp_pmd_mode(void)
{
	long mode = ww_thp_mode(), pmd = read_long_file(THP_SYSFS "hpage_pmd_size", NULL);
	int off = prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0);
	char path[128];

	if (pmd > 0) {
		long per;

		snprintf(path, sizeof(path), THP_SYSFS "hugepages-%ldkB/enabled", pmd / 1024);
		per = thp_file_mode(path);
		if (per >= 0 && per != 3)
			mode = per;
	}
	if (off == 1)
		return 0;
	if (off > 1 && mode == 2)
		return 1;       /* disabled except where advised: madvise mode for us */
	return mode;
}

/* What ww_open(AUTO) does now, WRITEWATCH_BACKEND included. */
static void probe_choice(struct ww_probe *p)
{
	const char *env = secure_getenv("WRITEWATCH_BACKEND");
	enum ww_backend b;

	for (b = WW_BACKEND_UFFD_ASYNC; b < WW_BACKEND_COUNT; b++)
		if (!backend_try(b, NULL, 0))
			break;
	p->best = b < WW_BACKEND_COUNT ? b : WW_BACKEND_AUTO;
	p->chosen = p->best;
	if (!env || !*env)
		return;
	snprintf(p->env_backend, sizeof(p->env_backend), "%s", env);
	if (ww_backend_parse(env, &b)) {
		p->env_error = -EINVAL;
		p->chosen = WW_BACKEND_AUTO;
	} else if (b != WW_BACKEND_AUTO) {
		p->env_error = backend_try(b, NULL, 0);     /* what ww_open() will return */
		p->chosen = p->env_error ? WW_BACKEND_AUTO : b;
	}
}

static void probe_uffd(struct ww_probe *p)
{
	enum ww_uffd_how how = WW_UFFD_SYSCALL;

	p->uffd_error = ww_k_uffd_features(&p->uffd_features, &how);
	if (!p->uffd_error)
		p->uffd_user_mode_only = how == WW_UFFD_USER_ONLY;
	p->unprivileged_userfaultfd = (int)read_long_file("/proc/sys/vm/unprivileged_userfaultfd",
							  NULL);
	p->dev_userfaultfd = ww_k_uffd_dev_access();
}

WW_API int ww_probe(struct ww_probe *p)
{
	struct ww_probe full;
	int major, minor;

	if (!p || p->size < sizeof(p->size))
		return -EINVAL;
	memset(&full, 0, sizeof(full));
	ww_k_release(full.kernel_release, sizeof(full.kernel_release), &major, &minor);
	probe_choice(&full);
	probe_uffd(&full);
	full.pagemap_scan = ww_k_pagemap_scan_probe(&full.pagemap_categories) == 1;
	full.thp_enabled = ww_thp_mode();
	full.hugetlb_default_size = read_long_file("/proc/meminfo", "Hugepagesize:") * 1024;
	if (full.hugetlb_default_size < 0)
		full.hugetlb_default_size = 0;
	full.hugetlb_free_pages = read_long_file("/proc/meminfo", "HugePages_Free:");
	if (full.hugetlb_free_pages < 0)
		full.hugetlb_free_pages = 0;
	full.max_map_count = read_long_file("/proc/sys/vm/max_map_count", NULL);
	full.base_page_size = (long)ww_page_size();
	full.pagemap_hole_written = full.pagemap_scan ? ww_k_pmd_hole_written() : 0;
	p->size = ww_sized_copy(p, &full, sizeof(full));
	return 0;
}
