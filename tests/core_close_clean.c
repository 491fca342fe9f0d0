/*
 * ww_unwatch and ww_close leave no write protection behind: no page keeps
 * the uffd-wp bit (pagemap bit 57), the mapping's permissions are as before,
 * writes (including kernel writes) work, and a new tracker on the same
 * memory starts clean.
 */
#include <fcntl.h>
#include <stdint.h>
#include "tt.h"

#define NPAGES 64

static void check_no_wp(char *mem, size_t npages, const char *what)
{
	int fd = open("/proc/self/pagemap", O_RDONLY);
	uint64_t e;
	size_t i;

	tt_check(fd >= 0, "open pagemap");
	for (i = 0; i < npages; i++) {
		off_t off = (off_t)(((uintptr_t)mem / TT_PAGE + i) * sizeof(e));

		tt_check(pread(fd, &e, sizeof(e), off) == sizeof(e), "pread pagemap");
		tt_check(!(e & (1ULL << 57)), "%s: page %zu still has the uffd-wp bit", what, i);
	}
	close(fd);
}

static void check_writable(char *mem, size_t npages, const char *what)
{
	int p[2];
	size_t i;

	/* A kernel write fails with EFAULT on any page still write-protected. */
	for (i = 0; i < npages; i++) {
		tt_check(pipe(p) == 0 && write(p[1], "z", 1) == 1, "pipe");
		tt_check(read(p[0], mem + i * TT_PAGE, 1) == 1, "%s: page %zu not writable by the "
			 "kernel: %s", what, i, strerror(errno));
		close(p[0]);
		close(p[1]);
		mem[i * TT_PAGE + 1] = 1;
	}
}

int main(void)
{
	struct ww_tracker *t = tt_open();
	char *mem = tt_map(NPAGES * TT_PAGE);
	void *pages[NPAGES];

	memset(mem, 1, NPAGES * TT_PAGE / 2);
	/* unwatch of a part, then of the rest */
	tt_ok(ww_watch(t, mem, NPAGES * TT_PAGE));
	mem[3 * TT_PAGE] = 2;
	tt_ok(ww_unwatch(t, mem + 16 * TT_PAGE, 16 * TT_PAGE));
	tt_ret(ww_get(t, mem, 16 * TT_PAGE, pages, NPAGES, 0), 1);      /* the rest still tracked */
	tt_ret(ww_get(t, mem + 16 * TT_PAGE, TT_PAGE, pages, NPAGES, 0), -ENOENT);
	check_no_wp(mem + 16 * TT_PAGE, 16, "after partial unwatch");
	check_writable(mem + 16 * TT_PAGE, 16, "after partial unwatch");
	tt_ok(ww_unwatch(t, mem, 16 * TT_PAGE));
	tt_ok(ww_unwatch(t, mem + 32 * TT_PAGE, 32 * TT_PAGE));
	check_no_wp(mem, NPAGES, "after unwatch");
	check_writable(mem, NPAGES, "after unwatch");

	/* close with ranges still watched, some of them reset and unwritten */
	tt_ok(ww_watch(t, mem, NPAGES * TT_PAGE));
	mem[TT_PAGE] = 3;
	ww_close(t);
	check_no_wp(mem, NPAGES, "after close");
	check_writable(mem, NPAGES, "after close");

	/* a new tracker on the same memory starts clean */
	t = tt_open();
	tt_ok(ww_watch(t, mem, NPAGES * TT_PAGE));
	tt_ret(ww_get(t, mem, NPAGES * TT_PAGE, pages, NPAGES, 0), 0);
	mem[7 * TT_PAGE] = 4;
	tt_ret(ww_get(t, mem, NPAGES * TT_PAGE, pages, NPAGES, 0), 1);
	ww_close(t);
	check_writable(mem, NPAGES, "after second close");
	return 0;
}
