/* Bad input never crashes and gets the documented -errno, per function. */
#include "tt.h"

static void check_open(void)
{
	struct ww_tracker *t2;

	tt_ret(ww_open(NULL, WW_BACKEND_AUTO, 0), -EINVAL);
	tt_ret(ww_open(&t2, WW_BACKEND_AUTO, 1), -EINVAL);
	tt_ret(ww_open(&t2, (enum ww_backend)99, 0), -EINVAL);
	tt_ret(ww_open(&t2, (enum ww_backend)-1, 0), -EINVAL);
	setenv("WRITEWATCH_BACKEND", "no-such-backend", 1);
	tt_ret(ww_open(&t2, WW_BACKEND_AUTO, 0), -EINVAL);
	setenv("WRITEWATCH_BACKEND", tt_backend(), 1);
	ww_close(NULL);
}

static void check_names(void)
{
	enum ww_backend b;

	tt_check(ww_backend_name(NULL) == NULL, "name(NULL)");
	tt_check(ww_backend_str((enum ww_backend)42) == NULL, "str(42)");
	tt_check(!strcmp(ww_backend_str(WW_BACKEND_AUTO), "auto"), "str(AUTO)");
	tt_ret(ww_backend_parse("bogus", &b), -EINVAL);
	tt_ret(ww_backend_parse(NULL, &b), -EINVAL);
	tt_ret(ww_backend_parse("mprotect", NULL), -EINVAL);
	tt_ok(ww_backend_parse("uffd-sync", &b));
	tt_check(b == WW_BACKEND_UFFD_SYNC, "parse uffd-sync");
}

/*
 * An address that was mapped and no longer is, made right before its use:
 * a hole made earlier can be mapped again by anything that maps memory in
 * between (a tracker's fault thread, the sanitizers' allocator).
 */
static char *fresh_hole(void)
{
	char *hole = tt_map(4 * TT_PAGE);

	tt_check(munmap(hole, 4 * TT_PAGE) == 0, "munmap");
	return hole;
}

/* Leaves [mem, mem + 4 pages) watched: the checks after this one need it. */
static void check_watch(struct ww_tracker *t, char *mem)
{
	char *gap;

	tt_ret(ww_watch(NULL, mem, TT_PAGE), -EINVAL);
	tt_ret(ww_watch(t, mem, 0), -EINVAL);
	tt_ret(ww_watch(t, mem + 1, TT_PAGE), -EINVAL);
	tt_ret(ww_watch(t, (void *)(UINTPTR_MAX & ~(TT_PAGE - 1)), 2 * TT_PAGE), -EINVAL);
	tt_ret(ww_watch(t, fresh_hole(), TT_PAGE), -ENOMEM);
	tt_ret(ww_watch(t, NULL, TT_PAGE), -ENOMEM);
	tt_ok(ww_watch(t, mem, 4 * TT_PAGE));
	tt_ret(ww_watch(t, mem, 4 * TT_PAGE), -EEXIST);
	tt_ret(ww_watch(t, mem + 3 * TT_PAGE, 2 * TT_PAGE), -EEXIST);

	/* A partly unmapped range is refused whole. */
	gap = tt_map(3 * TT_PAGE);
	tt_check(munmap(gap + TT_PAGE, TT_PAGE) == 0, "munmap");
	tt_ret(ww_watch(t, gap, 3 * TT_PAGE), -ENOMEM);
	tt_ok(ww_watch(t, gap, TT_PAGE));       /* and nothing of it was registered */
	tt_ok(ww_unwatch(t, gap, TT_PAGE));
}

static void check_get(struct ww_tracker *t, char *mem)
{
	void *pages[8], *next;
	struct ww_region regs[4];

	tt_ret(ww_get(NULL, mem, TT_PAGE, pages, 8, 0), -EINVAL);
	tt_ret(ww_get(t, mem, 0, pages, 8, 0), -EINVAL);
	tt_ret(ww_get(t, mem, TT_PAGE, pages, 8, 2), -EINVAL);
	tt_ret(ww_get(t, mem, TT_PAGE, pages, 8, ~0u), -EINVAL);
	tt_ret(ww_get(t, mem, TT_PAGE, pages, 0, 0), -EINVAL);
	tt_ret(ww_get(t, mem, TT_PAGE, NULL, 8, 0), -EFAULT);
	tt_ret(ww_get(t, mem, SIZE_MAX, pages, 8, 0), -EINVAL);
	tt_ret(ww_get(t, mem + 4 * TT_PAGE, TT_PAGE, pages, 8, 0), -ENOENT);
	tt_ret(ww_get(t, mem, 5 * TT_PAGE, pages, 8, 0), -ENOENT);      /* runs past the range */
	tt_ret(ww_get(t, fresh_hole(), TT_PAGE, pages, 8, 0), -ENOENT);
	tt_ret(ww_get_regions(t, mem, TT_PAGE, NULL, 4, 0, &next), -EFAULT);
	tt_ret(ww_get_regions(t, mem, TT_PAGE, regs, 0, 0, &next), -EINVAL);
	tt_ret(ww_get_regions(t, mem, TT_PAGE, regs, 4, 8, &next), -EINVAL);
	tt_ret(ww_get_regions(t, mem, TT_PAGE, regs, 4, 0, NULL), 0);     /* next is optional */
}

static void check_reset_prepare(struct ww_tracker *t, char *mem)
{
	tt_ret(ww_reset(NULL, mem, TT_PAGE), -EINVAL);
	tt_ret(ww_reset(t, mem, 0), -EINVAL);
	tt_ret(ww_reset(t, mem + 6 * TT_PAGE, TT_PAGE), -ENOENT);
	tt_ret(ww_reset(t, mem, SIZE_MAX), -EINVAL);
	tt_ret(ww_prepare_write(NULL, mem, TT_PAGE), -EINVAL);
	tt_ret(ww_prepare_write(t, mem, 0), -EINVAL);
	tt_ret(ww_prepare_write(t, mem + 6 * TT_PAGE, TT_PAGE), -ENOENT);
}

static void check_unwatch(struct ww_tracker *t, char *mem)
{
	tt_ret(ww_unwatch(NULL, mem, TT_PAGE), -EINVAL);
	tt_ret(ww_unwatch(t, mem, 0), -EINVAL);
	tt_ret(ww_unwatch(t, mem + 6 * TT_PAGE, TT_PAGE), -ENOENT);
	tt_ret(ww_unwatch(t, mem, 5 * TT_PAGE), -ENOENT);
	tt_ret(ww_unwatch(t, mem + 100, TT_PAGE), -EINVAL);     /* splits mid-page */
	tt_ret(ww_unwatch(t, mem, SIZE_MAX), -EINVAL);
}

static void check_granularity(struct ww_tracker *t, char *mem)
{
	tt_ret(ww_granularity(NULL, mem), -EINVAL);
	tt_ret(ww_granularity(t, mem + 4 * TT_PAGE), -ENOENT);
	tt_ret(ww_granularity(t, mem + 3 * TT_PAGE + 5), TT_PAGE);
}

static void check_probe(void)
{
	struct ww_probe p;
	struct ww_backend_info bi = { .size = 0 };

	tt_ret(ww_probe(NULL), -EINVAL);
	memset(&p, 0, sizeof(p));
	tt_ret(ww_probe(&p), -EINVAL);                  /* size not set */
	p.size = sizeof(p);
	tt_ok(ww_probe(&p));
	tt_check(p.size == sizeof(p), "probe size");
	tt_check(p.base_page_size == (long)TT_PAGE, "base page %ld", p.base_page_size);

	tt_ret(ww_probe_backend(WW_BACKEND_MPROTECT, NULL), -EINVAL);
	tt_ret(ww_probe_backend(WW_BACKEND_MPROTECT, &bi), -EINVAL);   /* size not set */
	bi.size = sizeof(bi);
	tt_ret(ww_probe_backend(WW_BACKEND_AUTO, &bi), -EINVAL);
	tt_ret(ww_probe_backend((enum ww_backend)WW_BACKEND_COUNT, &bi), -EINVAL);
	tt_ok(ww_probe_backend(WW_BACKEND_MPROTECT, &bi));
	tt_check(bi.size == sizeof(bi) && bi.available, "mprotect always available");
}

int main(void)
{
	struct ww_tracker *t = tt_open();
	char *mem = tt_map(8 * TT_PAGE);

	check_open();
	check_names();
	check_watch(t, mem);
	check_get(t, mem);
	check_reset_prepare(t, mem);
	check_unwatch(t, mem);
	check_granularity(t, mem);
	check_probe();

	/* Nothing refused above changed the watched range. */
	tt_ok(ww_unwatch(t, mem, 4 * TT_PAGE));
	ww_close(t);
	return 0;
}
