/* SPDX-License-Identifier: MIT */
/*
 * mprotect backend: protections the application set before ww_watch are
 * kept.  A PROT_READ page stays read-only, a PROT_NONE page stays
 * inaccessible, an executable page keeps PROT_EXEC, through watch, writes,
 * get+reset, reset, prepare_write, unwatch and close; writable pages end
 * writable.  Memory that can never be writable (read-only shared file
 * mapping) is refused with EPERM; a read-only private file mapping (which
 * could be made writable) is accepted and never reported.
 */
#include <fcntl.h>
#include "mprotect_tt.h"

#define NP 16
#define RO 3
#define NONE 5
#define RX 7
#define RWX 9

static char *mem;
static bool have_rwx;

static char *pg(size_t i)
{
	return mem + i * TT_PAGE;
}

/* The application's pages are exactly as it left them. */
static void expect_app_pages(const char *what)
{
	mt_expect_perms(pg(RO), "r--", what);
	mt_expect_perms(pg(NONE), "---", what);
	mt_expect_perms(pg(RX), "r-x", what);
}

/* Watched writable pages: clean ones are read-only, written ones writable. */
static void expect_armed(const char *what, bool page0_written)
{
	mt_expect_perms(pg(0), page0_written ? "rw-" : "r--", what);
	mt_expect_perms(pg(1), "r--", what);
	if (have_rwx)
		mt_expect_perms(pg(RWX), page0_written ? "rwx" : "r-x", what);
	expect_app_pages(what);
}

static void expect_unarmed(const char *what)
{
	size_t i;

	for (i = 0; i < NP; i++) {
		if (i == RO || i == NONE || i == RX || (i == RWX && have_rwx))
			continue;
		mt_expect_perms(pg(i), "rw-", what);
	}
	if (have_rwx)
		mt_expect_perms(pg(RWX), "rwx", what);
	expect_app_pages(what);
}

static void file_mappings(struct ww_tracker *t)
{
	char path[] = "/tmp/ww-mprotect-XXXXXX";
	int fd = mkstemp(path);
	char *shared, *priv;

	tt_check(fd >= 0, "mkstemp: %s", strerror(errno));
	tt_check(ftruncate(fd, 4 * TT_PAGE) == 0, "ftruncate: %s", strerror(errno));
	close(fd);
	fd = open(path, O_RDONLY);
	unlink(path);
	tt_check(fd >= 0, "open: %s", strerror(errno));
	shared = mmap(NULL, 4 * TT_PAGE, PROT_READ, MAP_SHARED, fd, 0);
	priv = mmap(NULL, 4 * TT_PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	tt_check(shared != MAP_FAILED && priv != MAP_FAILED, "mmap file: %s", strerror(errno));
	tt_ret(ww_watch(t, shared, 4 * TT_PAGE), -EPERM);
	tt_ok(ww_watch(t, priv, 4 * TT_PAGE));
	mt_expect_perms(priv, "r--", "read-only private file mapping");
	tt_ret(ww_get(t, priv, 4 * TT_PAGE, (void *[4]){ 0 }, 4, 0), 0);
	tt_ok(ww_unwatch(t, priv, 4 * TT_PAGE));
	mt_expect_perms(priv, "r--", "read-only private file mapping after unwatch");
	munmap(shared, 4 * TT_PAGE);
	munmap(priv, 4 * TT_PAGE);
	close(fd);
}

int main(void)
{
	struct ww_tracker *t;
	void *pages[NP];
	size_t i;

	mt_require_mprotect();
	t = tt_open();
	mem = mt_map_isolated(NP * TT_PAGE);
	tt_ok(mprotect(pg(RO), TT_PAGE, PROT_READ));
	tt_ok(mprotect(pg(NONE), TT_PAGE, PROT_NONE));
	tt_ok(mprotect(pg(RX), TT_PAGE, PROT_READ | PROT_EXEC));
	have_rwx = mprotect(pg(RWX), TT_PAGE, PROT_READ | PROT_WRITE | PROT_EXEC) == 0;

	tt_ok(ww_watch(t, mem, NP * TT_PAGE));
	expect_armed("after watch", false);

	mem[0] = 1;
	if (have_rwx)
		pg(RWX)[0] = 1;
	expect_armed("after writes", true);
	tt_ret(ww_get(t, mem, NP * TT_PAGE, pages, NP, WW_GET_RESET), have_rwx ? 2 : 1);
	expect_armed("after get+reset", false);

	mem[0] = 1;
	if (have_rwx)
		pg(RWX)[0] = 1;
	tt_ok(ww_reset(t, mem, NP * TT_PAGE));
	expect_armed("after reset", false);

	/* prepare_write: every page reads as written, but no application page gets writable. */
	tt_ok(ww_prepare_write(t, mem, NP * TT_PAGE));
	tt_ret(ww_get(t, mem, NP * TT_PAGE, pages, NP, 0), NP);
	expect_unarmed("after prepare_write");
	tt_ret(ww_get(t, mem, NP * TT_PAGE, pages, NP, WW_GET_RESET), NP);
	expect_armed("after prepare_write + get+reset", false);

	mem[0] = 1;
	tt_ok(ww_unwatch(t, mem, NP * TT_PAGE));
	expect_unarmed("after unwatch");
	for (i = 0; i < NP; i++)
		if (i != RO && i != NONE && i != RX)
			pg(i)[1] = 2;   /* every writable page takes writes again */

	/* Close unwatches the same way. */
	tt_ok(ww_watch(t, mem, NP * TT_PAGE));
	expect_armed("watched again", false);
	ww_close(t);
	expect_unarmed("after close");

	t = tt_open();
	file_mappings(t);
	ww_close(t);
	return 0;
}
