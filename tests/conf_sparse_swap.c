/* SPDX-License-Identifier: MIT */
/*
 * Swapped-out pages of a watched range keep their state, on every backend:
 * a page written and then swapped out is still reported (on uffd-async it is
 * WRITTEN|SWAPPED, not PRESENT: a scan that asked for PRESENT pages would
 * lose it), a swapped page never written is not, and a swapped page written
 * after it comes back is.  Needs an active swap device (skips without one).
 */
#include <fcntl.h>
#include <stdint.h>

#include "tt_sparse.h"

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#define NPAGES 64                /* populated, of LEN: a sparse range */
#define LEN (2048 * TT_PAGE)

static bool swap_active(void)
{
	FILE *f = fopen("/proc/swaps", "r");
	char line[256];
	int lines = 0;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		lines++;
	fclose(f);
	return lines > 1;       /* a header, then one line per device */
}

/* Is the page at addr swapped out (/proc/self/pagemap bit 62)? */
static bool swapped(int fd, const char *addr)
{
	uint64_t e = 0;

	if (pread(fd, &e, sizeof(e), (off_t)((uintptr_t)addr / TT_PAGE * sizeof(e))) != sizeof(e))
		return false;
	return e >> 62 & 1;
}

int main(void)
{
	struct ww_tracker *t;
	char *mem;
	int fd, out = 0;
	const size_t want[] = { 3, 10, 30 };

	if (!swap_active())
		tt_skip("no active swap device (/proc/swaps lists none)");
	t = tt_open();
	mem = tts_map(LEN);
	tt_check(mem, "mmap");
	memset(mem, 1, NPAGES * TT_PAGE);
	tt_ok(ww_watch(t, mem, LEN));
	tts_check_mode(t, mem, 1);
	mem[30 * TT_PAGE] = 2;  /* written, then swapped out */
	tt_check(madvise(mem, NPAGES * TT_PAGE, MADV_PAGEOUT) == 0, "MADV_PAGEOUT: %s",
		 strerror(errno));
	fd = open("/proc/self/pagemap", O_RDONLY);
	tt_check(fd >= 0, "open pagemap: %s", strerror(errno));
	for (size_t i = 0; i < NPAGES; i++)
		out += swapped(fd, mem + i * TT_PAGE);
	if (!swapped(fd, mem + 30 * TT_PAGE) || out < NPAGES / 2)
		tt_skip("MADV_PAGEOUT swapped out %d of %d pages, not the one written", out, NPAGES);
	tts_expect(t, mem, LEN, 0, &want[2], 1, "a written page, swapped out");
	mem[3 * TT_PAGE] = 3;   /* swapped back in by the writes */
	mem[10 * TT_PAGE] = 3;
	tt_check(mem[20 * TT_PAGE] == 1, "a swapped page reads back");
	tts_expect(t, mem, LEN, WW_GET_RESET, want, 3, "swapped in and written");
	tts_expect(t, mem, LEN, 0, NULL, 0, "after get+reset");
	close(fd);
	ww_close(t);
	return 0;
}
