/* SPDX-License-Identifier: MIT */
/*
 * A tracking session over a whole process (see track_session.h).
 *
 * The session keeps two sorted lists: the target's writable mappings as of
 * the last refresh, and the ranges it has watched (always inside those
 * mappings).  An interval is: wait, get+reset every watched range, hand the
 * pages to the callback, refresh the mappings: unwatch what is no longer
 * mapped writable, watch what is new (a heap that grew gets its new part
 * watched; nothing already watched is re-armed, so nothing written is lost).
 */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "writewatch.h"
#include "track_session.h"
#include "track_sorted.h"

/* Page tables cost 8 bytes a page once armed: all watched ranges share 1/8 of memory. */
#define PT_BYTES_PER_PAGE 8
#define PT_SHARE_DIV 8
#define REGIONS 512

struct wrange {
	uint64_t start, end;
};

struct track_session {
	pid_t pid;
	bool child;
	int status;                     /* wait status of a started command, -1 */
	struct ww_tracker *t;
	unsigned interval_ms;
	double duration, t0;
	size_t ps;
	struct wrange *w;               /* watched, sorted */
	size_t nw, capw;
	struct track_map *maps;         /* writable mappings, sorted */
	size_t nmaps, capmaps;
	uint64_t *seen;                 /* distinct written pages, sorted */
	size_t nseen, capseen;
	uint64_t *pages;                /* this interval's */
	size_t npages, cappages;
	uint64_t pt_budget, pt_used;
	size_t start_maps, start_watched;
	unsigned index;
	sigset_t oldmask;
	struct ww_region regs[REGIONS];
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Make room for need elements in *v (capacity *cap). */
static int grow(void **v, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 64;
	void *p;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	p = realloc(*v, n * elem);
	if (!p)
		return -ENOMEM;
	*v = p;
	*cap = n;
	return 0;
}

/* ---- the mappings ---- */

struct map_list {
	struct track_map *v;
	size_t n, cap;
};

static int collect_map(const struct ww_mapping *m, void *arg)
{
	struct map_list *l = arg;
	char *label;

	if (grow((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v)))
		return -ENOMEM;
	label = strdup(m->name[0] ? m->name : "[anon]");
	if (!label)
		return -ENOMEM;
	l->v[l->n++] = (struct track_map){ .start = m->start, .end = m->end, .label = label };
	return 0;
}

static void free_maps(struct track_map *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free((char *)v[i].label);
	free(v);
}

/* ---- the watched ranges ---- */

static int w_insert(struct track_session *s, uint64_t a, uint64_t b)
{
	size_t i = 0;

	if (grow((void **)&s->w, &s->capw, s->nw + 1, sizeof(*s->w)))
		return -ENOMEM;
	while (i < s->nw && s->w[i].start < a)
		i++;
	memmove(&s->w[i + 1], &s->w[i], (s->nw - i) * sizeof(*s->w));
	s->w[i] = (struct wrange){ a, b };
	s->nw++;
	return 0;
}

static void w_remove_at(struct track_session *s, size_t i)
{
	s->pt_used -= (s->w[i].end - s->w[i].start) / s->ps * PT_BYTES_PER_PAGE;
	memmove(&s->w[i], &s->w[i + 1], (s->nw - i - 1) * sizeof(*s->w));
	s->nw--;
}

/* Watch [a, b) within the page-table budget. */
static int w_add(struct track_session *s, uint64_t a, uint64_t b)
{
	uint64_t cost = (b - a) / s->ps * PT_BYTES_PER_PAGE;
	int ret;

	if (s->pt_used + cost > s->pt_budget)
		return -E2BIG;
	ret = ww_watch(s->t, (void *)(uintptr_t)a, b - a);
	if (ret)
		return ret;
	ret = w_insert(s, a, b);
	if (ret) {
		ww_unwatch(s->t, (void *)(uintptr_t)a, b - a);
		return ret;
	}
	s->pt_used += cost;
	return 0;
}

/* Is addr inside one of maps[0..n)? Where does that stretch (or the gap) end? */
static bool in_maps(const struct track_map *v, size_t n, uint64_t addr, uint64_t *until)
{
	for (size_t i = 0; i < n; i++) {
		if (addr < v[i].start) {
			*until = v[i].start;
			return false;
		}
		if (addr < v[i].end) {
			*until = v[i].end;
			return true;
		}
	}
	*until = UINT64_MAX;
	return false;
}

/* Unwatch the parts of watched ranges that lie outside every mapping of v. */
static int w_trim(struct track_session *s, const struct track_map *v, size_t n)
{
	for (size_t i = 0; i < s->nw;) {
		struct wrange r = s->w[i];
		uint64_t at = r.start, until;
		int ret;

		while (at < r.end && in_maps(v, n, at, &until))
			at = until;
		if (at >= r.end) {
			i++;
			continue;
		}
		/* [at, until) of r is not mapped writable any more: unwatch it. */
		if (until > r.end)
			until = r.end;
		ret = ww_unwatch(s->t, (void *)(uintptr_t)at, until - at);
		if (ret && ret != -ENOENT && ret != -EFAULT)
			return ret;
		w_remove_at(s, i);
		if (at > r.start && (ret = w_insert(s, r.start, at)))
			return ret;
		if (until < r.end && (ret = w_insert(s, until, r.end)))
			return ret;
		s->pt_used += (r.end - r.start - (until - at)) / s->ps * PT_BYTES_PER_PAGE;
		i = 0;  /* the list changed: start over (it is short) */
	}
	return 0;
}

/* Watch the parts of mapping m that no watched range covers; m->err says why not. */
static int w_fill(struct track_session *s, struct track_map *m)
{
	uint64_t at = m->start;

	m->err = 0;
	while (at < m->end) {
		size_t i = 0;
		uint64_t gap_end;

		while (i < s->nw && s->w[i].end <= at)
			i++;
		gap_end = i < s->nw && s->w[i].start < m->end ? s->w[i].start : m->end;
		if (gap_end <= at) {
			at = s->w[i].end;       /* inside a watched range */
			continue;
		}
		int ret = w_add(s, at, gap_end);

		/*
		 * -ENOMEM is also ww_watch()'s answer for memory no longer mapped:
		 * a mapping the target (its loader, right after an exec) removed
		 * since the maps were read.  Left out now, seen anew at the next
		 * refresh; a real shortage fails the next calls anyway.
		 */
		if (ret == -ESRCH)
			return ret;
		if (ret)
			m->err = ret;
		at = gap_end;
	}
	return 0;
}

/* Re-read the mappings, unwatch what went, watch what came. */
static int refresh(struct track_session *s)
{
	struct map_list l = { 0 };
	int ret = ww_mappings(s->pid, WW_MAPPINGS_WRITABLE, collect_map, &l);

	if (ret == -ENOENT)
		ret = -ESRCH;
	if (!ret)
		ret = w_trim(s, l.v, l.n);
	for (size_t i = 0; !ret && i < l.n; i++)
		ret = w_fill(s, &l.v[i]);
	if (ret) {
		free_maps(l.v, l.n);
		return ret;
	}
	free_maps(s->maps, s->nmaps);
	s->maps = l.v;
	s->nmaps = l.n;
	return 0;
}

/* ---- one interval ---- */

/* Get+reset every watched range into s->pages.  -ESRCH: the target is gone. */
static int collect(struct track_session *s)
{
	s->npages = 0;
	for (size_t i = 0; i < s->nw;) {
		void *at = (void *)(uintptr_t)s->w[i].start, *end = (void *)(uintptr_t)s->w[i].end;
		bool dropped = false;

		while (at < end) {
			void *next = end;
			ssize_t n = ww_get_regions(s->t, at, (size_t)((char *)end - (char *)at), s->regs,
						   REGIONS, WW_GET_RESET, &next);

			if (n == -ESRCH)
				return (int)n;
			if (n == -EFAULT || n == -ENOENT) {
				/* Unmapped or replaced: the library dropped it; the refresh re-watches. */
				w_remove_at(s, i);
				dropped = true;
				break;
			}
			if (n < 0)
				return (int)n;
			for (ssize_t r = 0; r < n; r++) {
				for (uint64_t a = s->regs[r].start; a < s->regs[r].end; a += s->ps) {
					if (grow((void **)&s->pages, &s->cappages, s->npages + 1,
						 sizeof(*s->pages)))
						return -ENOMEM;
					s->pages[s->npages++] = a;
				}
			}
			at = next;
		}
		if (!dropped)
			i++;
	}
	return 0;
}

/* Merge this interval's pages into the distinct set. */
static int merge_seen(struct track_session *s)
{
	if (grow((void **)&s->seen, &s->capseen, s->nseen + s->npages + 1, sizeof(*s->seen)))
		return -ENOMEM;
	s->nseen = track_merge_sorted(s->seen, s->nseen, s->pages, s->npages);
	return 0;
}

/* Per-mapping counts for this interval and since the start. */
static void attribute(struct track_session *s)
{
	for (size_t m = 0; m < s->nmaps; m++) {
		struct track_map *mp = &s->maps[m];

		mp->written = track_lower_bound(s->pages, s->npages, mp->end) -
			      track_lower_bound(s->pages, s->npages, mp->start);
		mp->distinct = track_lower_bound(s->seen, s->nseen, mp->end) -
			       track_lower_bound(s->seen, s->nseen, mp->start);
	}
}

/* ---- waiting ---- */

enum wake { WAKE_TICK, WAKE_EXITED, WAKE_SIGNAL };

/* A started command that ended: collect its status. */
static bool child_ended(struct track_session *s)
{
	int st;

	if (!s->child || s->status >= 0)
		return s->status >= 0;
	if (waitpid(s->pid, &st, WNOHANG) == s->pid && (WIFEXITED(st) || WIFSIGNALED(st)))
		s->status = st;
	return s->status >= 0;
}

/* Sleep until the monotonic time deadline, a command's exit or SIGINT/SIGTERM. */
static enum wake wait_until(struct track_session *s, double deadline)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	for (;;) {
		double left = deadline - now_s();
		struct timespec ts;
		int sig;

		if (child_ended(s))
			return WAKE_EXITED;
		if (left <= 0)
			return WAKE_TICK;
		ts.tv_sec = (time_t)left;
		ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
		sig = sigtimedwait(&set, NULL, &ts);
		if (sig == SIGINT || sig == SIGTERM) {
			if (s->child && s->status < 0)
				kill(s->pid, sig);      /* the command decides what to do */
			return WAKE_SIGNAL;
		}
	}
}

/* Still running (it exec'd rather than exited)? */
static bool target_alive(struct track_session *s)
{
	char path[64], buf[256], *p;
	FILE *f;
	bool alive = false;

	if (s->child)
		return !child_ended(s);
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)s->pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) && p[1] == ' ')
		alive = p[2] != 'Z' && p[2] != 'X';
	fclose(f);
	return alive;
}

/* The target exec'd: its new image is a new address space; track that one. */
static int reattach(struct track_session *s)
{
	int ret;

	ww_close(s->t);
	s->t = NULL;
	s->nw = 0;
	s->pt_used = 0;
	ret = ww_open_pid(&s->t, s->pid, WW_BACKEND_AUTO, 0);
	if (!ret)
		ret = refresh(s);
	return ret;
}

int track_run(struct track_session *s, track_fn fn, void *arg, char *why, size_t whylen)
{
	double prev = s->t0, next = s->t0 + s->interval_ms / 1000.0;

	for (;;) {
		enum wake w = wait_until(s, next);
		double t = now_s();
		int ret = collect(s), stop;

		/* A shell or a wrapper that execs: go on with what it became. */
		if (ret == -ESRCH && target_alive(s) && !reattach(s))
			ret = collect(s);
		bool last = w != WAKE_TICK || ret == -ESRCH ||
			    (s->duration > 0 && t - s->t0 >= s->duration - 1e-9);

		if (ret && ret != -ESRCH) {
			snprintf(why, whylen, "collecting the written pages: %s", strerror(-ret));
			return ret;
		}
		/*
		 * -ESRCH with the target gone: what collect() got before it is
		 * kept.  Those pages were reset, so no later get can report them
		 * (a target that exits as soon as its last writes are taken).
		 */
		ret = merge_seen(s);
		if (ret)
			return ret;
		attribute(s);
		struct track_interval iv = {
			.index = s->index++, .t = t - s->t0, .dt = t - prev, .page_size = s->ps,
			.written_pages = s->npages, .distinct_pages = s->nseen,
			.maps = s->maps, .nmaps = s->nmaps, .pages = s->pages, .npages = s->npages,
			.last = last,
		};
		stop = fn(&iv, arg);
		if (last || stop)
			return 0;
		ret = refresh(s);
		if (ret == -ESRCH)
			continue;       /* gone: the next interval is the last */
		if (ret) {
			snprintf(why, whylen, "following the mappings: %s", strerror(-ret));
			return ret;
		}
		prev = t;
		next += s->interval_ms / 1000.0;
		if (next < now_s())
			next = now_s();         /* behind (a slow scan): no burst of catch-up */
	}
}

/* ---- open / close ---- */

static int start_command(struct track_session *s, char *const *cmd, char *why, size_t whylen)
{
	extern char **environ;
	posix_spawnattr_t attr;
	sigset_t none;
	int ret;

	sigemptyset(&none);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
	/* Returns after the exec (glibc's vfork): what is tracked is the command itself. */
	ret = posix_spawnp(&s->pid, cmd[0], NULL, &attr, cmd, environ);
	posix_spawnattr_destroy(&attr);
	if (ret) {
		snprintf(why, whylen, "cannot run %s: %s", cmd[0], strerror(ret));
		return -ret;
	}
	s->child = true;
	return 0;
}

/* One line on why ww_open_pid() refused. */
static void open_why(int err, pid_t pid, char *why, size_t whylen)
{
	switch (err) {
	case -EPERM:
		snprintf(why, whylen, "no right to trace process %d (another user's, not dumpable, "
			 "or already traced; needs CAP_SYS_PTRACE)", (int)pid);
		break;
	case -ESRCH:
		snprintf(why, whylen, "no process %d", (int)pid);
		break;
	case -EACCES:
		snprintf(why, whylen, "process %d has a seccomp filter that forbids userfaultfd() "
			 "or close(), or that cannot be read without CAP_SYS_ADMIN", (int)pid);
		break;
	case -EOPNOTSUPP:
		snprintf(why, whylen, "this kernel cannot track another process (needs uffd-async: "
			 "Linux >= 6.7; see writewatch probe)");
		break;
	default:
		snprintf(why, whylen, "cannot track process %d: %s", (int)pid, strerror(-err));
	}
}

static int session_setup(struct track_session *s, const struct track_opts *o, char *why,
			 size_t whylen)
{
	long phys = sysconf(_SC_PHYS_PAGES);
	int ret;

	s->ps = (size_t)sysconf(_SC_PAGESIZE);
	s->pt_budget = phys > 0 ? (uint64_t)phys * s->ps / PT_SHARE_DIV : UINT64_MAX;
	if (o->cmd) {
		ret = start_command(s, o->cmd, why, whylen);
		if (ret)
			return ret;
	} else {
		s->pid = o->pid;
	}
	ret = ww_open_pid(&s->t, s->pid, WW_BACKEND_AUTO, 0);
	if (ret) {
		open_why(ret, s->pid, why, whylen);
		return ret;
	}
	s->t0 = now_s();
	ret = refresh(s);
	if (ret) {
		snprintf(why, whylen, "watching the mappings of %d: %s", (int)s->pid, strerror(-ret));
		return ret;
	}
	s->start_maps = s->nmaps;
	for (size_t i = 0; i < s->nmaps; i++)
		s->start_watched += !s->maps[i].err;
	return 0;
}

int track_open(struct track_session **out, const struct track_opts *o, char *why,
	       size_t whylen)
{
	struct track_session *s = calloc(1, sizeof(*s));
	sigset_t set;
	int ret;

	if (!s)
		return -ENOMEM;
	s->status = -1;
	s->interval_ms = o->interval_ms;
	s->duration = o->duration_s;
	/* Taken by sigtimedwait() between intervals. */
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, &s->oldmask);
	ret = session_setup(s, o, why, whylen);
	if (ret) {
		if (s->child) {
			kill(s->pid, SIGKILL);  /* started to be tracked, and it cannot be */
			waitpid(s->pid, &s->status, 0);
		}
		track_close(s);
		return ret;
	}
	*out = s;
	return 0;
}

pid_t track_pid(const struct track_session *s)
{
	return s->pid;
}

const struct track_map *track_mappings(const struct track_session *s, size_t *n)
{
	*n = s->nmaps;
	return s->maps;
}

void track_counts(const struct track_session *s, size_t *maps, size_t *watched)
{
	*maps = s->start_maps;
	*watched = s->start_watched;
}

int track_status(const struct track_session *s)
{
	return s->status;
}

int track_close(struct track_session *s)
{
	int status;

	if (!s)
		return -1;
	ww_close(s->t);
	sigprocmask(SIG_SETMASK, &s->oldmask, NULL);
	/* A command we started runs on untracked; wait for it, as the shell would. */
	while (s->child && s->status < 0) {
		int st;

		if (waitpid(s->pid, &st, 0) == s->pid) {
			if (WIFEXITED(st) || WIFSIGNALED(st))
				s->status = st;
		} else if (errno != EINTR) {
			break;
		}
	}
	status = s->status;
	free_maps(s->maps, s->nmaps);
	free(s->w);
	free(s->seen);
	free(s->pages);
	free(s);
	return status;
}
