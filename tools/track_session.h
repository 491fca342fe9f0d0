/* SPDX-License-Identifier: MIT */
/*
 * A tracking session over a whole process: attach to a process (or start a
 * command), watch every writable mapping, and once per interval collect
 * (get+reset) what was written, then follow the mappings that appeared,
 * grew, shrank or disappeared.  Each interval is handed to a callback with
 * per-mapping counts and the written page addresses, so `writewatch track`
 * prints it and other commands (a dirty-rate estimate) can reuse it.
 */
#ifndef WW_TRACK_SESSION_H
#define WW_TRACK_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A writable mapping of the target, as of the last refresh. */
struct track_map {
	uint64_t start, end;
	const char *label;      /* the path, [heap], [stack], or "[anon]" */
	uint64_t written;       /* pages written in this interval */
	uint64_t distinct;      /* distinct pages of it written since the start */
	int err;                /* 0, or why (part of) it is not watched: -EBUSY (the
				 * target's own userfaultfd), -EOPNOTSUPP (memory that
				 * cannot be write-protected), -E2BIG (page-table budget) */
};

struct track_interval {
	unsigned index;                 /* 0, 1, ... */
	double t;                       /* seconds since the start, at the end of it */
	double dt;                      /* its length in seconds */
	size_t page_size;
	uint64_t written_pages;         /* pages written in it, all mappings */
	uint64_t distinct_pages;        /* distinct pages written since the start */
	const struct track_map *maps;   /* the mappings, ascending */
	size_t nmaps;
	const uint64_t *pages;          /* the written pages' addresses, ascending */
	size_t npages;
	bool last;                      /* the session ends after this one */
};

/* Return nonzero to end the session (after this interval). */
typedef int (*track_fn)(const struct track_interval *iv, void *arg);

struct track_opts {
	pid_t pid;                      /* attach to it, or 0 and: */
	char *const *cmd;               /* start this command (argv, NULL-terminated) */
	unsigned interval_ms;           /* > 0 */
	double duration_s;              /* 0: until the target ends or a signal */
};

struct track_session;

/*
 * Attach (or start the command and attach) and watch every writable
 * mapping.  Returns 0 or -errno with one line for people in why.
 */
int track_open(struct track_session **out, const struct track_opts *o, char *why,
	       size_t whylen);
/* The target's process ID. */
pid_t track_pid(const struct track_session *s);
/* The writable mappings as of the last refresh, ascending (valid until track_run goes on). */
const struct track_map *track_mappings(const struct track_session *s, size_t *n);
/* Writable mappings at the start, and how many of them are watched (whole or in part). */
void track_counts(const struct track_session *s, size_t *maps, size_t *watched);
/*
 * Run intervals until the duration is reached, the target ends, SIGINT or
 * SIGTERM arrives (a command started by the session gets SIGTERM passed on)
 * or fn asks to stop.  Returns 0 or -errno (why filled).
 */
int track_run(struct track_session *s, track_fn fn, void *arg, char *why, size_t whylen);
/* A started command's wait status once it ended, else -1. */
int track_status(const struct track_session *s);
/*
 * Stop tracking (the target is left as it was) and free.  A started command
 * runs on untracked and is waited for: returns its wait status, else -1.
 */
int track_close(struct track_session *s);

#endif /* WW_TRACK_SESSION_H */
