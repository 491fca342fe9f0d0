/* SPDX-License-Identifier: MIT */
/*
 * Another process's userfaultfd: created inside it by running one
 * userfaultfd() system call in one of its threads, taken with pidfd_getfd()
 * and closed there again, so that the caller holds the only reference.
 */
#ifndef WW_REMOTE_H
#define WW_REMOTE_H

#include <stdbool.h>
#include <sys/types.h>

/*
 * A userfaultfd of pid's address space in *fd (O_CLOEXEC | O_NONBLOCK in
 * this process).  *user_only: it is UFFD_USER_MODE_ONLY (the target lacks
 * the privilege for a full one).  The target is stopped for the time of
 * the three system calls and then goes on as if nothing had happened.
 * -EPERM: no right to ptrace it; -ESRCH: it is gone; -EACCES: its seccomp
 * filters forbid (or may forbid) the calls; -EBUSY: another tracer has it.
 */
int ww_remote_uffd(pid_t pid, int *fd, bool *user_only);

/* ---- remote_stop.c ---- */

/* The threads of a process held stopped under ptrace. */
struct ww_stop {
	pid_t pid;
	pid_t *tids;
	int *sigs;              /* per thread: the signal to deliver on release, -1: not held */
	size_t n;
	size_t cap;
};

/*
 * Stop every thread of pid (seize + interrupt, until no new thread shows
 * up).  -EPERM: no right to ptrace it (or another tracer has it); -ESRCH:
 * it is gone; -EAGAIN: its threads multiplied faster than they were held.
 * Nothing is held on failure.
 */
int ww_remote_stop(pid_t pid, struct ww_stop *st);
/* Let every held thread go, with the signals that arrived meanwhile. */
void ww_remote_resume(struct ww_stop *st);

#endif /* WW_REMOTE_H */
