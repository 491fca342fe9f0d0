/* SPDX-License-Identifier: MIT */
/*
 * The target already uses userfaultfd on part of its memory: watching that
 * part from outside answers -EBUSY, the rest of the region is tracked
 * exactly, and the target's own registration is left as it was.
 */
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

#include "remote_tt.h"

#define NPAGES 64
#define OWN 16          /* the target registers pages [0, OWN) itself */

static int own_uffd(char *mem, size_t npages)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)mem, .len = OWN * TT_PAGE },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
	if (fd < 0)
		return 10;
	/* Populate first: missing faults never fire on the pages the loop writes. */
	memset(mem, 0, OWN * TT_PAGE);
	if (ioctl(fd, UFFDIO_API, &api) || ioctl(fd, UFFDIO_REGISTER, &reg))
		return 11;
	return 0;               /* fd stays open: the registration lives as long as it */
}

int main(void)
{
	struct rt_child c;
	struct ww_tracker *t;

	rt_spawn_setup(&c, NPAGES, own_uffd);
	t = rt_open(c.pid);
	tt_ret(ww_watch(t, c.base, NPAGES * TT_PAGE), -EBUSY);
	tt_ret(ww_watch(t, c.base, OWN * TT_PAGE), -EBUSY);
	tt_ok(ww_watch(t, c.base + OWN * TT_PAGE, (NPAGES - OWN) * TT_PAGE));
	rt_cmd(&c, RT_WRITE, 2);                /* in the target's own range */
	rt_cmd(&c, RT_WRITE, OWN);
	rt_cmd(&c, RT_WRITE, NPAGES - 1);
	{
		void *pages[NPAGES];
		ssize_t n = ww_get(t, c.base + OWN * TT_PAGE, (NPAGES - OWN) * TT_PAGE, pages,
				   NPAGES, WW_GET_RESET);

		tt_ret(n, 2);
		tt_check(pages[0] == c.base + OWN * TT_PAGE &&
			 pages[1] == c.base + (NPAGES - 1) * TT_PAGE, "wrong pages reported");
	}
	ww_close(t);
	/* The target's own registration survived ours. */
	tt_check(rt_uffd_fds(c.pid) == 1, "the target's userfaultfd is gone");
	tt_ret(rt_cmd(&c, RT_CHECK, 0), 0);
	rt_expect_clean_exit(&c);
	return 0;
}
