/* SPDX-License-Identifier: MIT */
/*
 * ww_open_pid(): a tracker of another process's address space, and the
 * checks the core makes on such a tracker at every call (is the process
 * still there, is a range mapped in it).  The backend takes the process's
 * userfaultfd (remote.c); everything else works as for this process, on
 * addresses of the other one.
 */
#include <errno.h>
#include <unistd.h>

#include "internal.h"
#include "kernel.h"

int ww_target_check(const struct ww_tracker *t)
{
	return t->pid ? ww_k_maps_alive(t->maps_fd) : 0;
}

int ww_target_mapped(const struct ww_tracker *t, uintptr_t start, size_t len)
{
	if (!t->pid)
		return ww_k_mapped(start, len);
	return ww_k_mapped_in(t->maps_fd, start, len);
}

WW_API int ww_open_pid(struct ww_tracker **out, pid_t pid, enum ww_backend backend,
		       unsigned flags)
{
	int ret;

	if (!out || flags || pid < 0 || (unsigned)backend >= WW_BACKEND_COUNT)
		return -EINVAL;
	if (pid == 0 || pid == getpid())
		return ww_open(out, backend, 0);
	/*
	 * Only uffd-async can track from outside: the target's kernel resolves
	 * its faults, so it never waits for us.  AUTO means it, whatever
	 * WRITEWATCH_BACKEND says (that names this process's backend).
	 */
	if (backend == WW_BACKEND_AUTO)
		backend = WW_BACKEND_UFFD_ASYNC;
	if (backend != WW_BACKEND_UFFD_ASYNC)
		return -EOPNOTSUPP;
	ret = ww_backend_features(backend);
	if (ret)
		return -EOPNOTSUPP;
	return ww_tracker_open_pid(out, backend, pid);
}
