/* SPDX-License-Identifier: MIT */
/*
 * Internal interfaces of libwritewatch: the tracker, its registry of watched
 * ranges, and the operations table every backend implements.
 *
 * Locking rule: the core calls every backend operation with t->lock held.
 * The paths that run when watched memory is written (the mprotect SIGSEGV
 * handler, the uffd-sync fault thread) must never take t->lock: the thread
 * that holds it may itself be the one writing watched memory (for instance
 * when the caller's output array lives in a watched range).
 */
#ifndef WW_INTERNAL_H
#define WW_INTERNAL_H

#include <pthread.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

#include "writewatch.h"
#include "util.h"

#define WW_API __attribute__((visibility("default")))


/*
 * A watched range: [start, end), aligned to pagesize.  Allocated on its own,
 * so a backend may keep a pointer to it until its unwatch op has run.
 */
struct ww_range {
	uintptr_t start;
	uintptr_t end;
	size_t pagesize;        /* ww_page_size(), or the hugetlb page size */
	bool hugetlb;
	void *priv;             /* backend per-range state, may be NULL */
};

struct ww_backend_ops;

struct ww_tracker {
	pthread_mutex_t lock;
	const struct ww_backend_ops *ops;
	unsigned long fork_gen;         /* ww_fork_generation() at open */
	struct ww_range **ranges;       /* sorted by start, never overlapping; each
					 * entry keeps its address until unwatched */
	size_t nr_ranges;
	size_t cap_ranges;
	struct ww_region *scratch;      /* scan output buffer, never watched */
	size_t scratch_len;             /* in regions */
	int uffd;                       /* -1 when unused */
	int pagemap_fd;                 /* -1 when unused */
	int aux_fd;                     /* another descriptor of the backend's, -1 when
					 * unused; closed by the core in a forked child */
	bool uffd_user_mode_only;
	pid_t pid;                      /* the tracked process, 0: this one */
	int maps_fd;                    /* /proc/<pid>/maps of a tracked process, else -1:
					 * pins its address space, so that exit and exec show */
	int deferred_err;               /* error a get met after it had reset pages:
					 * returned by the next get */
	void *priv;                     /* backend per-tracker state */
};

/*
 * Every operation returns >= 0 or -errno.  Addresses passed in are aligned
 * to r->pagesize and lie inside r.
 */
struct ww_backend_ops {
	enum ww_backend id;
	const char *name;
	/* 0 if usable here; else -errno and a one-line reason in why. */
	int (*probe)(char *why, size_t whylen);
	/* Set up per-tracker state (t->uffd etc.). */
	int (*open)(struct ww_tracker *t);
	/* Free per-tracker state; every range has been unwatched already. */
	void (*close)(struct ww_tracker *t);
	/* Arm all of r: afterwards no page of r reads as written. */
	int (*watch)(struct ww_tracker *t, struct ww_range *r);
	/*
	 * Disarm [start, end) of r and forget its state.  gone: the memory was
	 * unmapped (or belongs to someone else now); touch no protection.
	 * If [start, end) is all of r, free r->priv.
	 */
	int (*unwatch)(struct ww_tracker *t, struct ww_range *r,
		       uintptr_t start, uintptr_t end, bool gone);
	/*
	 * Move the state of [tail->start, r->end) from r into tail (tail->priv
	 * is NULL on entry).  The core then sets r->end = tail->start.  NULL
	 * when the backend keeps no per-range state.  Must not change r on
	 * failure.
	 */
	int (*split)(struct ww_tracker *t, struct ww_range *r, struct ww_range *tail);
	/*
	 * Written pages of [start, end) as runs, ascending, into out[0..max_out),
	 * at most max_pages pages in all (in r->pagesize units).  With reset,
	 * re-arm exactly the pages reported, atomically per page: a write racing
	 * with the call is reported now or by a later call.  Returns the number
	 * of runs; *walk_end is where the walk stopped (end when complete).
	 */
	ssize_t (*scan)(struct ww_tracker *t, struct ww_range *r,
			uintptr_t start, uintptr_t end,
			struct ww_region *out, size_t max_out, uint64_t max_pages,
			bool reset, uintptr_t *walk_end);
	/* Re-arm all of [start, end). */
	int (*reset)(struct ww_tracker *t, struct ww_range *r, uintptr_t start, uintptr_t end);
	/* Mark [start, end) written and writable by the kernel (see ww_prepare_write). */
	int (*prepare_write)(struct ww_tracker *t, struct ww_range *r,
			     uintptr_t start, uintptr_t end);
	/*
	 * True when a hole in r reads as unwritten and a read of it maps
	 * nothing a scan reports: dropping never-saved pages of r, a whole
	 * page-table block at once, then changes nothing the tracking sees.
	 * NULL: never (markers, or protection the drop would take away).
	 */
	bool (*holes_unwritten)(const struct ww_tracker *t, const struct ww_range *r);
};

extern const struct ww_backend_ops ww_uffd_async_ops;
extern const struct ww_backend_ops ww_uffd_sync_ops;
extern const struct ww_backend_ops ww_mprotect_ops;

/* Backend ops by id (NULL for AUTO or unknown). */
const struct ww_backend_ops *ww_backend_ops_get(enum ww_backend b);

/* Bumped in the child at every fork(); a tracker from another generation is the parent's. */
unsigned long ww_fork_generation(void);

static inline uintptr_t ww_align_down(uintptr_t x, size_t a) { return x & ~(uintptr_t)(a - 1); }
static inline uintptr_t ww_align_up(uintptr_t x, size_t a) { return (x + a - 1) & ~(uintptr_t)(a - 1); }

/* ---- probe.c ---- */

/* Copy a one-line reason into a probe buffer (snprintf that never prints). */
void ww_why(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* errno's symbolic name ("EACCES"); buf holds the fallback text. */
const char *ww_errno_name(int err, char *buf, size_t len);
/* userfaultfd features, or -EOPNOTSUPP with a one-line reason why none can be had. */
int ww_uffd_probe(uint64_t *features, char *why, size_t whylen);
/*
 * UFFDIO_WRITEPROTECT stops with ENOENT at a VMA not registered for
 * write-protect: memory of the range was replaced behind our back, which
 * the core expects as -EFAULT (it then drops the range).
 */
static inline int ww_uffd_wp_err(int ret)
{
	return ret == -ENOENT ? -EFAULT : ret;
}
/* Copy a sized struct to dst (its size field first); returns the bytes filled. */
size_t ww_sized_copy(void *dst, const void *src, size_t src_size);
/* THP mode from sysfs: 0 never, 1 madvise, 2 always, -1 unknown (no THP). */
long ww_thp_mode(void);
/*
 * The same for PMD-size pages of this process's anonymous memory: the
 * per-size setting where it does not inherit, and PR_SET_THP_DISABLE.
 */
long ww_thp_pmd_mode(void);
/* 0 if the kernel has what backend b (not AUTO) needs, else -errno. */
int ww_backend_features(enum ww_backend b);
/* ww_open()'s backend choice: AUTO, WRITEWATCH_BACKEND, fall-through. */
int ww_open_choice(struct ww_tracker **out, enum ww_backend want);

/* ---- tracker.c ---- */

/* A tracker inherited over fork() belongs to the parent's address space. */
static inline bool ww_in_forked_child(const struct ww_tracker *t)
{
	return t->fork_gen != ww_fork_generation();
}

/* Open a tracker on exactly backend b (no probe, no fall-through). */
int ww_tracker_open_backend(struct ww_tracker **out, enum ww_backend b);
/* The same for another process's address space (pid > 0, not this process). */
int ww_tracker_open_pid(struct ww_tracker **out, enum ww_backend b, pid_t pid);

/* ---- open_pid.c ---- */

/* 0, or -ESRCH when the tracked process exited or exec'd (always 0 for this process). */
int ww_target_check(const struct ww_tracker *t);
/* 0 if all of [start, start+len) is mapped in the tracked address space, else -errno. */
int ww_target_mapped(const struct ww_tracker *t, uintptr_t start, size_t len);
/*
 * 1 if one range t watches holds [start, end) and its holes read as
 * unwritten (ww_backend_ops.holes_unwritten), 0 if not, -ENOENT if start is
 * not watched.  Takes t->lock.
 */
int ww_holes_unwritten(struct ww_tracker *t, uintptr_t start, uintptr_t end);

/* ---- registry.c (callers hold t->lock) ---- */

/* Index of the first range whose end is above addr (nr_ranges if none). */
size_t ww_range_search(const struct ww_tracker *t, uintptr_t addr);
struct ww_range *ww_range_find(const struct ww_tracker *t, uintptr_t addr);
int ww_range_insert(struct ww_tracker *t, struct ww_range *r, size_t at);
/* Split range i at addr (inside it, aligned): the tail becomes range i+1. */
int ww_range_split(struct ww_tracker *t, size_t i, uintptr_t addr);
void ww_range_remove_at(struct ww_tracker *t, size_t i);
/* True when some of r's memory has been unmapped behind our back. */
bool ww_range_gone(const struct ww_tracker *t, const struct ww_range *r);
int ww_range_drop(struct ww_tracker *t, size_t i, bool gone);
/* A backend's -EFAULT for range i (memory replaced): drop it as gone; returns err. */
int ww_range_failed(struct ww_tracker *t, size_t i, int err);
/*
 * Checks for calls taking (t, addr, len); *end receives addr + len.
 * -ESRCH when a tracked process is gone.
 */
int ww_check_call(const struct ww_tracker *t, const void *addr, size_t len, uintptr_t *end);
/* [start, end) covered by ranges without a gap: first index and count, else -ENOENT. */
int ww_cover(const struct ww_tracker *t, uintptr_t start, uintptr_t end,
	  size_t *first, size_t *count);
/* Drop ranges of [first, first+count) whose memory is gone; -EFAULT if any was. */
int ww_check_mapped(struct ww_tracker *t, size_t first, size_t count);
/* Clamp [start, end) to range r, rounded out to r's pages. */
void ww_clamp(const struct ww_range *r, uintptr_t start, uintptr_t end,
	   uintptr_t *cs, uintptr_t *ce);

#endif /* WW_INTERNAL_H */
