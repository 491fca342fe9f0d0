/* SPDX-License-Identifier: MIT */
/*
 * Holding another process still: every thread seized and interrupted with
 * ptrace, so that its memory can be read and written from outside while
 * none of it runs (a snapshot restore).  A thread can only be created by a
 * running one, so the thread list is read again until a pass finds no new
 * thread: then all are stopped.  A signal that arrives while a thread is
 * held is delivered when it is let go.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "kernel_ptrace.h"
#include "remote.h"

#define STOP_PASSES 64

static bool known(const struct ww_stop *st, pid_t tid)
{
	for (size_t i = 0; i < st->n; i++)
		if (st->tids[i] == tid)
			return true;
	return false;
}

static int add(struct ww_stop *st, pid_t tid)
{
	if (st->n == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 16;
		pid_t *t = realloc(st->tids, cap * sizeof(*t));
		int *s;

		if (!t)
			return -ENOMEM;
		st->tids = t;
		s = realloc(st->sigs, cap * sizeof(*s));
		if (!s)
			return -ENOMEM;
		st->sigs = s;
		st->cap = cap;
	}
	st->tids[st->n] = tid;
	st->sigs[st->n++] = 0;
	return 0;
}

/* Seize and interrupt tid and wait until it is stopped (or gone: then it is skipped). */
static int stop_one(struct ww_stop *st, pid_t tid)
{
	enum ww_kp_stop why;
	int ret = ww_kp_seize(tid), sig = 0;

	if (ret == -ESRCH)
		return 0;
	if (ret)
		return ret;
	ret = add(st, tid);
	if (!ret)
		ret = ww_kp_interrupt(tid);
	if (!ret)
		ret = ww_kp_wait(tid, &why, &sig);
	if (ret == -ESRCH) {
		st->sigs[st->n - 1] = -1;       /* exited meanwhile: nothing to let go */
		return 0;
	}
	if (ret) {
		ww_kp_detach(tid);
		st->sigs[st->n - 1] = -1;
		return ret;
	}
	/* Stopped for a signal on its way: it is held there, and gets it on release. */
	if (why == WW_KP_SIGNAL_STOP)
		st->sigs[st->n - 1] = sig;
	return 0;
}

/* One pass over /proc/PID/task: stop the threads not yet held; how many were new. */
static int stop_pass(struct ww_stop *st)
{
	char path[64];
	struct dirent *e;
	int fresh = 0, ret = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)st->pid);
	d = opendir(path);
	if (!d)
		return -ESRCH;
	while (!ret && (e = readdir(d))) {
		pid_t tid = (pid_t)atoi(e->d_name);

		if (tid <= 0 || known(st, tid))
			continue;
		ret = stop_one(st, tid);
		fresh++;
	}
	closedir(d);
	return ret ? ret : fresh;
}

int ww_remote_stop(pid_t pid, struct ww_stop *st)
{
	*st = (struct ww_stop){ .pid = pid };
	for (int pass = 0; pass < STOP_PASSES; pass++) {
		int fresh = stop_pass(st);

		if (fresh < 0) {
			ww_remote_resume(st);
			return fresh;
		}
		if (!fresh)
			return st->n ? 0 : -ESRCH;
	}
	ww_remote_resume(st);
	return -EAGAIN;         /* threads keep appearing faster than they can be held */
}

void ww_remote_resume(struct ww_stop *st)
{
	for (size_t i = 0; i < st->n; i++)
		if (st->sigs[i] >= 0)
			ww_kp_detach_sig(st->tids[i], st->sigs[i]);
	free(st->tids);
	free(st->sigs);
	*st = (struct ww_stop){ 0 };
}
