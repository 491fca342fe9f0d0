/*
 * uffd-sync with a full (kernel-fault) userfaultfd, as root: writes the
 * kernel makes for the process (read(2) from a pipe, pread(2) from a file)
 * into watched, reset pages wait for the fault thread like user writes do,
 * succeed, and are reported.
 */
#include <sys/mman.h>

#include "sync_util.h"

#define NPAGES 8

int main(void)
{
	struct ww_tracker *t = sync_open();
	struct ww_probe p = { .size = sizeof(p) };
	unsigned char truth[NPAGES] = { 0 };
	char *data = tt_map(3 * TT_PAGE);
	char *mem = tt_map(NPAGES * TT_PAGE);
	int fds[2], mfd;
	size_t i;

	sync_hang_guard(60);
	tt_ok(ww_probe(&p));
	if (p.uffd_user_mode_only)
		tt_skip("only user-mode-only userfaultfds for this caller (not root?): kernel "
			"writes fail with EFAULT, see sync_kernel_write_user");
	for (i = 0; i < 3 * TT_PAGE; i++)
		data[i] = (char)(i * 7 + 1);
	mem[TT_PAGE] = 1;                       /* page 1 populated, 2 and 3 never touched */
	tt_ok(ww_watch(t, mem, NPAGES * TT_PAGE));
	tt_ok(ww_reset(t, mem, NPAGES * TT_PAGE));

	/* read(2) from a pipe across pages 1..3. */
	tt_check(!pipe(fds), "pipe: %s", strerror(errno));
	tt_check(write(fds[1], data, 2 * TT_PAGE) == (ssize_t)(2 * TT_PAGE), "pipe write");
	tt_check(read(fds[0], mem + TT_PAGE + 100, 2 * TT_PAGE) == (ssize_t)(2 * TT_PAGE),
		 "read(2) into watched memory: %s", strerror(errno));
	tt_check(!memcmp(mem + TT_PAGE + 100, data, 2 * TT_PAGE), "read(2) data");
	truth[1] = truth[2] = truth[3] = 1;
	tt_expect_written(t, mem, NPAGES, truth, "after read(2)");

	/* pread(2) from a memfd into the never-touched page 6. */
	mfd = memfd_create("sync_kernel_write", MFD_CLOEXEC);
	tt_check(mfd >= 0 && write(mfd, data, TT_PAGE) == (ssize_t)TT_PAGE, "memfd");
	tt_check(pread(mfd, mem + 6 * TT_PAGE, 10, 5) == 10, "pread(2): %s", strerror(errno));
	tt_check(!memcmp(mem + 6 * TT_PAGE, data + 5, 10), "pread(2) data");
	truth[6] = 1;
	tt_expect_written(t, mem, NPAGES, truth, "after pread(2)");
	ww_close(t);
	return 0;
}
