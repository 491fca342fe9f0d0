/* SPDX-License-Identifier: MIT */
/*
 * A partial munmap leaves the rest of the range as usable as before (issue
 * 8 item 8).  Watch 8 pages, write page 0, munmap page 7; then leave by each
 * exit the library has: ww_get (-EFAULT, then -ENOENT), ww_unwatch,
 * ww_close.  After each, pages 0-6 are writable with their old contents.
 * A fourth round unmaps page 6 and maps a read-only file page over page 7:
 * pages 0-5 are usable, and the file page, not ours, keeps its protection.
 *
 * The checks read /proc/self/maps before touching a page, so a page left
 * read-only fails the test instead of killing it with SIGSEGV.
 */
#include <fcntl.h>
#include "mprotect_tt.h"

#define NP 8

enum exit_by { BY_GET, BY_UNWATCH, BY_CLOSE };

static const char *const exit_name[] = { "ww_get", "ww_unwatch", "ww_close" };

static char fill(size_t page)
{
	return (char)('A' + page);
}

/* Pages [0, n) hold their fill bytes (page 0 has 'Z' at offset 0), are writable, and take writes. */
static void expect_usable(char *mem, size_t n, const char *what)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		char *p = mem + i * TT_PAGE;

		tt_check(mt_perms(p)[1] == 'w', "%s: page %zu is %s, want writable", what, i,
			 mt_perms(p));
		for (j = 0; j < TT_PAGE; j++)
			tt_check(p[j] == (i == 0 && j == 0 ? 'Z' : fill(i)),
				 "%s: page %zu byte %zu changed", what, i, j);
		p[TT_PAGE - 1] = 'w';
		tt_check(p[TT_PAGE - 1] == 'w', "%s: write to page %zu lost", what, i);
	}
}

/* Watched 8 pages, page 0 written, page 7 gone. */
static char *setup(struct ww_tracker *t)
{
	char *mem = mt_map_isolated(NP * TT_PAGE);
	size_t i;

	for (i = 0; i < NP; i++)
		memset(mem + i * TT_PAGE, fill(i), TT_PAGE);
	tt_ok(ww_watch(t, mem, NP * TT_PAGE));
	mem[0] = 'Z';
	tt_check(munmap(mem + 7 * TT_PAGE, TT_PAGE) == 0, "munmap page 7: %s", strerror(errno));
	return mem;
}

static void leave(struct ww_tracker *t, char *mem, enum exit_by how)
{
	void *pages[NP];
	int ret;

	switch (how) {
	case BY_GET:
		tt_ret(ww_get(t, mem, NP * TT_PAGE, pages, NP, 0), -EFAULT);
		tt_ret(ww_get(t, mem, NP * TT_PAGE, pages, NP, 0), -ENOENT);
		break;
	case BY_UNWATCH:
		ret = ww_unwatch(t, mem, NP * TT_PAGE);
		tt_check(ret == 0 || ret == -EFAULT, "ww_unwatch = %d (%s)", ret, strerror(-ret));
		tt_ret(ww_get(t, mem, TT_PAGE, pages, NP, 0), -ENOENT);
		break;
	case BY_CLOSE:
		ww_close(t);
		break;
	}
}

/* Page 6 gone, page 7 replaced by a read-only shared file page: not ours, left read-only. */
static void replaced(void)
{
	struct ww_tracker *t = tt_open();
	char *mem = mt_map_isolated(NP * TT_PAGE), path[] = "/tmp/ww-partial-XXXXXX", *p;
	int fd = mkstemp(path);
	size_t i;

	tt_check(fd >= 0, "mkstemp: %s", strerror(errno));
	unlink(path);
	tt_check(ftruncate(fd, (off_t)TT_PAGE) == 0, "ftruncate: %s", strerror(errno));
	for (i = 0; i < NP; i++)
		memset(mem + i * TT_PAGE, fill(i), TT_PAGE);
	tt_ok(ww_watch(t, mem, NP * TT_PAGE));
	mem[0] = 'Z';
	p = mmap(mem + 7 * TT_PAGE, TT_PAGE, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0);
	tt_check(p == mem + 7 * TT_PAGE, "mmap over page 7: %s", strerror(errno));
	tt_check(munmap(mem + 6 * TT_PAGE, TT_PAGE) == 0, "munmap page 6: %s", strerror(errno));
	ww_close(t);
	expect_usable(mem, 6, "replaced page 7, after ww_close");
	mt_expect_perms(p, "r--", "the file page mapped over page 7");
	munmap(mem, NP * TT_PAGE);
	close(fd);
}

int main(void)
{
	struct ww_tracker *t = tt_open();
	int how;

	for (how = BY_GET; how <= BY_CLOSE; how++) {
		char *mem = setup(t);
		char what[64];

		leave(t, mem, (enum exit_by)how);
		snprintf(what, sizeof(what), "after %s", exit_name[how]);
		expect_usable(mem, NP - 1, what);
		munmap(mem, (NP - 1) * TT_PAGE);
	}
	replaced();
	return 0;
}
