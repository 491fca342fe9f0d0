/* SPDX-License-Identifier: MIT */
/*
 * writewatch: exact, fast page write tracking for Linux.
 *
 * A tracker watches ranges of the calling process's memory and tells which
 * pages were written since the range was watched or last reset.  Every
 * function returns >= 0 on success or a negative errno value; none prints,
 * none sets errno on purpose.  See writewatch(3) for the overview.
 */
#ifndef WRITEWATCH_H
#define WRITEWATCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The one place the version is set (the Makefile reads it from here). */
#define WW_VERSION_MAJOR 0
#define WW_VERSION_MINOR 3
#define WW_VERSION_PATCH 0

struct ww_tracker;                      /* opaque */

enum ww_backend {
	WW_BACKEND_AUTO = 0,            /* WRITEWATCH_BACKEND env var, else the best available */
	WW_BACKEND_UFFD_ASYNC,          /* UFFD_FEATURE_WP_ASYNC + PAGEMAP_SCAN (Linux >= 6.7) */
	WW_BACKEND_UFFD_SYNC,           /* userfaultfd write-protect + fault thread (Linux >= 5.7) */
	WW_BACKEND_MPROTECT,            /* read-only pages + SIGSEGV handler (any kernel) */
};
#define WW_BACKEND_COUNT 4              /* number of enum values, AUTO included */

/* ww_get() / ww_get_regions() flags */
#define WW_GET_RESET 1u                 /* reset exactly the pages returned */

/* A run of written pages: byte addresses [start, end), multiples of the granularity. */
struct ww_region {
	uint64_t start;
	uint64_t end;
};

/* Open a tracker.  flags must be 0 (reserved). */
int ww_open(struct ww_tracker **out, enum ww_backend backend, unsigned flags);
/*
 * Open a tracker of another process's memory (pid 0 or getpid(): this
 * process, as ww_open()).  Needs the right to ptrace it; only
 * WW_BACKEND_UFFD_ASYNC (AUTO means it here) can track another process.
 * Addresses passed to the other calls are the target's, never dereferenced.
 * Once the target exits or execs, calls answer -ESRCH.  flags must be 0.
 * See ww_open_pid(3) for every outcome.
 */
int ww_open_pid(struct ww_tracker **out, pid_t pid, enum ww_backend backend, unsigned flags);
/*
 * A mapping of a process, as /proc/PID/maps shows it.  Sized: size is what
 * the library filled (fields are only ever added at the end).
 */
struct ww_mapping {
	size_t size;
	uint64_t start;                 /* [start, end), page aligned */
	uint64_t end;
	int prot;                       /* PROT_READ | PROT_WRITE | PROT_EXEC */
	int shared;                     /* 1: MAP_SHARED */
	uint64_t offset;                /* file offset of start */
	uint64_t inode;                 /* 0: no file */
	unsigned dev_major;
	unsigned dev_minor;
	const char *name;               /* path, [heap], [stack], ...; "" for anonymous
					 * memory; valid during the callback only */
};

/* ww_mappings() flags */
#define WW_MAPPINGS_WRITABLE 1u         /* only mappings that are writable now */

typedef int (*ww_mapping_fn)(const struct ww_mapping *m, void *arg);

/*
 * Call fn for every mapping of process pid (0: this one), ascending.
 * Returns 0, fn's first nonzero result (the walk stops there), or -errno
 * (-ESRCH no such process, -EACCES no right to read its maps).
 */
int ww_mappings(pid_t pid, unsigned flags, ww_mapping_fn fn, void *arg);

/* Unwatch everything (no write protection is left behind) and free.  NULL is a no-op. */
void ww_close(struct ww_tracker *t);

/* "uffd-async", "uffd-sync" or "mprotect" ("auto" never: AUTO resolves at open). */
const char *ww_backend_name(const struct ww_tracker *t);
enum ww_backend ww_backend_id(const struct ww_tracker *t);
/* Name of a backend value, NULL for an unknown one. */
const char *ww_backend_str(enum ww_backend b);
/* Parse "uffd-async" / "uffd-sync" / "mprotect" / "auto"; -EINVAL if unknown. */
int ww_backend_parse(const char *name, enum ww_backend *out);

/*
 * Start watching [addr, addr+len).  addr must be aligned to the range's
 * granularity (the base page, or the huge page size on hugetlb memory); len
 * is rounded up to it.  No page of the range is reported until written.
 */
int ww_watch(struct ww_tracker *t, void *addr, size_t len);
/* Stop watching; the range may be a part of a watched range (it is split). */
int ww_unwatch(struct ww_tracker *t, void *addr, size_t len);

/*
 * Written pages in [addr, addr+len) (rounded out to whole pages): at most
 * max addresses, ascending, into pages[].  With WW_GET_RESET exactly the
 * returned pages are re-armed, atomically per page.  Returns the count.
 */
ssize_t ww_get(struct ww_tracker *t, void *addr, size_t len,
	       void **pages, size_t max, unsigned flags);

/*
 * Region form: runs of written pages into regions[] (at most max regions).
 * *next (optional) receives the address where the walk stopped: addr+len
 * when the whole range was covered, else the place to resume from.
 */
ssize_t ww_get_regions(struct ww_tracker *t, void *addr, size_t len,
		       struct ww_region *regions, size_t max, unsigned flags,
		       void **next);

/* Re-arm every page of [addr, addr+len): none reads as written afterwards. */
int ww_reset(struct ww_tracker *t, void *addr, size_t len);

/*
 * Report every page of [addr, addr+len) as written and make sure the kernel
 * can write into it (on the mprotect backend a read(2) into a protected page
 * fails with EFAULT; call this on the buffer first).  The pages stay written
 * until the next reset.
 */
int ww_prepare_write(struct ww_tracker *t, void *addr, size_t len);

/* Tracking granularity of the watched range holding addr, in bytes. */
ssize_t ww_granularity(struct ww_tracker *t, void *addr);

/* ---- snapshots ---- */

struct ww_snapshot;                     /* opaque */

/*
 * Save the content of [addr, addr+len) (only its populated pages, on private
 * anonymous memory) and arm tracking of it on t: with a new watch when no
 * part of the range is watched (ww_snapshot_free() removes it), else over
 * the existing watch, which must cover the whole range (it is reset).
 * The range's writers must be quiescent during the call.
 */
int ww_snapshot_take(struct ww_tracker *t, void *addr, size_t len, struct ww_snapshot **out);
/*
 * Put back exactly the pages written, dropped or populated since the take or
 * the last restore, and re-arm them.  Writers must be quiescent.  Returns the
 * number of pages restored (in the range's granularity).  On failure the
 * pages not yet restored still read as written, so a later restore finishes.
 */
ssize_t ww_snapshot_restore(struct ww_snapshot *s);
/* Free (and unwatch, when take watched the range).  NULL is a no-op. */
void ww_snapshot_free(struct ww_snapshot *s);

/* ---- what this machine offers ---- */

/*
 * What one backend would do here.  Sized: set size to sizeof(struct
 * ww_backend_info) before the call; fields are only ever added at the end.
 */
struct ww_backend_info {
	size_t size;
	int available;                  /* 1: ww_open() with this backend succeeds here */
	int error;                      /* when not: the -errno ww_open() would return */
	char reason[160];               /* when not: why, in one line */
};

/* Fill *info for backend b (not AUTO); -EINVAL for AUTO or an unknown value. */
int ww_probe_backend(enum ww_backend b, struct ww_backend_info *info);

/* PAGEMAP_SCAN category bits, as the kernel numbers them */
#define WW_PAGE_IS_WPALLOWED  (1u << 0)
#define WW_PAGE_IS_WRITTEN    (1u << 1)
#define WW_PAGE_IS_FILE       (1u << 2)
#define WW_PAGE_IS_PRESENT    (1u << 3)
#define WW_PAGE_IS_SWAPPED    (1u << 4)
#define WW_PAGE_IS_PFNZERO    (1u << 5)
#define WW_PAGE_IS_HUGE       (1u << 6)
#define WW_PAGE_IS_SOFT_DIRTY (1u << 7)
#define WW_PAGE_IS_GUARD      (1u << 8)

/*
 * What this machine offers.  Sized: set size to sizeof(struct ww_probe)
 * before the call.  Fields are only ever added at the end, so a program built
 * against an older header keeps working (it gets the prefix it knows).
 */
struct ww_probe {
	size_t size;                    /* set to sizeof(struct ww_probe) before the call */
	char kernel_release[65];        /* uname -r */
	enum ww_backend best;           /* the best backend that opens here (env var ignored) */
	enum ww_backend chosen;         /* what ww_open(AUTO) opens now, env var included;
					 * AUTO when the env var names no backend or the
					 * backend it names cannot open here */
	char env_backend[32];           /* WRITEWATCH_BACKEND as set ("" when unset) */
	int env_error;                  /* -EINVAL: env var unknown; the error ww_open() gets
					 * when its backend cannot open here; 0 otherwise */
	uint64_t uffd_features;         /* UFFDIO_API feature bits this kernel offers (0: no uffd) */
	int uffd_error;                 /* 0, or the -errno that refused every userfaultfd */
	int uffd_user_mode_only;        /* 1: only UFFD_USER_MODE_ONLY userfaultfds for this caller */
	int unprivileged_userfaultfd;   /* vm.unprivileged_userfaultfd, -1 unknown */
	int dev_userfaultfd;            /* 1: /dev/userfaultfd opens for this caller, 0 not,
					 * -1 absent */
	int pagemap_scan;               /* 1: PAGEMAP_SCAN ioctl present */
	uint32_t pagemap_categories;    /* WW_PAGE_IS_* bits the kernel accepts */
	long thp_enabled;               /* 0 never, 1 madvise, 2 always, -1 unknown */
	long hugetlb_default_size;      /* bytes, 0 if none */
	long hugetlb_free_pages;        /* free default-size hugetlb pages */
	long max_map_count;             /* vm.max_map_count, -1 unknown */
	long base_page_size;            /* bytes */
	int pagemap_hole_written;       /* 1: PAGEMAP_SCAN reads a page-table hole of
					 * write-tracked memory as written; 0: it skips
					 * it (uffd-async then looks for holes with a
					 * second scan); -errno: could not tell */
};

/* Fill *p (p->size set by the caller).  Never fails for a supported size. */
int ww_probe(struct ww_probe *p);

/* ---- the page map of a process (PAGEMAP_SCAN, read only) ---- */

struct ww_pagemap;                      /* opaque */

/*
 * A run of pages [start, end) that share the categories asked for
 * (WW_PAGE_IS_* bits).  The layout of the kernel's struct page_region.
 */
struct ww_page_run {
	uint64_t start;
	uint64_t end;
	uint64_t categories;
};

/*
 * Open the page map of process pid (0: the caller).  flags must be 0.
 * -EOPNOTSUPP without PAGEMAP_SCAN; the open's -errno otherwise (reading
 * another process's page map takes the right to ptrace-read it).
 */
int ww_pagemap_open(struct ww_pagemap **out, pid_t pid, unsigned flags);
/* The WW_PAGE_IS_* bits this kernel reports, into *categories. */
int ww_pagemap_categories(const struct ww_pagemap *pm, uint32_t *categories);
/*
 * Runs of the pages of [start, end) that have any category of anyof (0:
 * every mapped page), their categories limited to report, ascending and
 * merged: at most max into runs[].  Address space without a mapping, or
 * (with anyof) without a matching page, costs no page-table walk below
 * it.  Returns the count; *next (optional) receives where the walk
 * stopped: end when complete.  Nothing is changed in the process.
 */
ssize_t ww_pagemap_scan(struct ww_pagemap *pm, uint64_t start, uint64_t end,
			uint32_t anyof, uint32_t report,
			struct ww_page_run *runs, size_t max, uint64_t *next);
/* Close; NULL is a no-op. */
void ww_pagemap_close(struct ww_pagemap *pm);

/* Library version "MAJOR.MINOR.PATCH". */
const char *ww_version(void);

#ifdef __cplusplus
}
#endif
#endif /* WRITEWATCH_H */
