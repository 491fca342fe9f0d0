/*
 * Writes the kernel makes on the process's behalf (read(2) from a pipe into
 * a watched buffer) are reported where the backend sees them.  Where it
 * cannot (mprotect, and uffd-sync with only a user-mode-only userfaultfd,
 * as for an unprivileged caller with vm.unprivileged_userfaultfd=0), such a
 * read into a protected page fails with EFAULT and writes nothing, as
 * writewatch(3) and ww_prepare_write(3) document, and ww_prepare_write() on
 * the buffer first makes it succeed, reporting the pages as written.
 */
#include "tt.h"

static ssize_t pipe_read_into(char *buf, size_t len)
{
	int p[2];
	ssize_t n;
	char src[3 * 4096];

	memset(src, 'k', sizeof(src));
	tt_check(len <= sizeof(src) && pipe(p) == 0, "pipe");
	tt_check(write(p[1], src, len) == (ssize_t)len, "pipe write");
	n = read(p[0], buf, len);
	if (n < 0)
		n = -errno;
	close(p[0]);
	close(p[1]);
	return n;
}

/* Does the backend of t miss kernel writes (documented: they fail with EFAULT)? */
static bool kernel_writes_fault(struct ww_tracker *t)
{
	struct ww_probe p = { .size = sizeof(p) };

	if (!strcmp(ww_backend_name(t), "mprotect"))
		return true;
	if (strcmp(ww_backend_name(t), "uffd-sync"))
		return false;
	tt_ok(ww_probe(&p));
	return p.uffd_user_mode_only;
}

int main(void)
{
	struct ww_tracker *t = tt_open();
	char *mem = tt_map(8 * TT_PAGE);
	bool faults = kernel_writes_fault(t);
	void *pages[8];
	ssize_t n;

	fprintf(stderr, "%s: kernel writes %s\n", ww_backend_name(t),
		faults ? "fail with EFAULT (checked), then ww_prepare_write()" : "are reported");
	mem[0] = 1;
	tt_ok(ww_watch(t, mem, 8 * TT_PAGE));
	/* Straddles pages 2 and 3 (never touched before watching). */
	n = pipe_read_into(mem + 2 * TT_PAGE + 100, TT_PAGE);
	if (faults) {
		tt_ret(n, -EFAULT);
		tt_check(mem[2 * TT_PAGE + 100] == 0 && mem[3 * TT_PAGE + 99] == 0,
			 "a read(2) that failed with EFAULT wrote the buffer");
		tt_ret(ww_get(t, mem, 8 * TT_PAGE, pages, 8, 0), 0);
		tt_ok(ww_prepare_write(t, mem + 2 * TT_PAGE + 100, TT_PAGE));
		n = pipe_read_into(mem + 2 * TT_PAGE + 100, TT_PAGE);
	}
	tt_ret(n, TT_PAGE);
	tt_check(mem[2 * TT_PAGE + 100] == 'k' && mem[3 * TT_PAGE + 99] == 'k', "data arrived");
	tt_ret(ww_get(t, mem, 8 * TT_PAGE, pages, 8, WW_GET_RESET), 2);
	tt_check(pages[0] == mem + 2 * TT_PAGE && pages[1] == mem + 3 * TT_PAGE, "pages 2 and 3");

	/* Same again on pages that are populated and were reset. */
	if (faults) {
		tt_ret(pipe_read_into(mem, 10), -EFAULT);
		tt_check(mem[0] == 1 && mem[1] == 0, "a read(2) that failed with EFAULT wrote page 0");
		tt_ret(ww_get(t, mem, 8 * TT_PAGE, pages, 8, 0), 0);
		tt_ok(ww_prepare_write(t, mem, TT_PAGE));
	}
	tt_ret(pipe_read_into(mem, 10), 10);
	tt_ret(ww_get(t, mem, 8 * TT_PAGE, pages, 8, 0), 1);
	tt_check(pages[0] == mem, "page 0");
	ww_close(t);
	return 0;
}
