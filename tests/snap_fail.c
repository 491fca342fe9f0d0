/*
 * Restores that fail, and the state they leave (ww_snapshot_restore(3),
 * "WHEN A RESTORE FAILS"):
 * - part of the range made read-only since take: on the uffd backends
 *   -EACCES before anything is changed, and once it is writable again the
 *   next restore is exact; the mprotect backend takes the write (exact);
 * - part of the range unmapped: -EFAULT before anything is changed, the range
 *   is no longer watched and later restores say -ENOENT;
 * - on uffd-async, part of the range replaced by a new mapping (MAP_FIXED),
 *   with more written runs before it than one batch of restore holds: the
 *   batches before it are put back, then -EFAULT; every page reads either as
 *   saved or as written, the new mapping is not touched, later restores say
 *   -ENOENT.
 */
#include "tt_snap.h"

#define NPAGES 8192
#define TAIL 16                 /* pages at the end that the tests change */

static char *map_filled(size_t len)
{
	char *m = tt_map(len);

	tt_ok(madvise(m, len, MADV_NOHUGEPAGE));
	memset(m, 1, len);
	return m;
}

/* Write every other page: NPAGES / 2 separate runs. */
static void write_every_other(char *m, size_t ps)
{
	for (size_t p = 0; p < NPAGES; p += 2)
		m[p * ps] = 2;
}

/* Pages of [0, n) whose first byte is still the written 2, and pages that differ from 1 and 2. */
static size_t count_written(const char *m, size_t ps, size_t n, size_t *odd)
{
	size_t w = 0;

	*odd = 0;
	for (size_t p = 0; p < n; p++) {
		w += m[p * ps] == 2;
		*odd += m[p * ps] != 1 && m[p * ps] != 2;
	}
	return w;
}

static void read_only_part(struct ww_tracker *t, size_t ps)
{
	size_t len = NPAGES * ps, odd;
	char *m = map_filled(len), *tail = m + (NPAGES - TAIL) * ps;
	struct ww_snapshot *s;

	tt_ok(ww_snapshot_take(t, m, len, &s));
	write_every_other(m, ps);
	tt_ok(mprotect(tail, TAIL * ps, PROT_READ));
	if (!strcmp(ww_backend_name(t), "mprotect")) {
		tt_ret(ww_snapshot_restore(s), NPAGES / 2);
	} else {
		tt_ret(ww_snapshot_restore(s), -EACCES);
		tt_ret(count_written(m, ps, NPAGES, &odd), NPAGES / 2);
		tt_ok(mprotect(tail, TAIL * ps, PROT_READ | PROT_WRITE));
		tt_ret(ww_snapshot_restore(s), NPAGES / 2);
	}
	tt_ret(count_written(m, ps, NPAGES, &odd), 0);
	tt_ret(odd, 0);
	tt_ret(ww_snapshot_restore(s), 0);
	ww_snapshot_free(s);
	munmap(m, len);
}

static void unmapped_part(struct ww_tracker *t, size_t ps)
{
	size_t len = NPAGES * ps, odd;
	char *m = map_filled(len);
	struct ww_snapshot *s;

	tt_ok(ww_snapshot_take(t, m, len, &s));
	write_every_other(m, ps);
	tt_ok(munmap(m + (NPAGES - TAIL) * ps, TAIL * ps));
	tt_ret(ww_snapshot_restore(s), -EFAULT);
	tt_ret(count_written(m, ps, NPAGES - TAIL, &odd), (NPAGES - TAIL) / 2);
	tt_ret(ww_snapshot_restore(s), -ENOENT);
	ww_snapshot_free(s);
	munmap(m, len - TAIL * ps);
}

static void replaced_part(struct ww_tracker *t, size_t ps)
{
	size_t len = NPAGES * ps, odd, left;
	char *m = map_filled(len), *tail = m + (NPAGES - TAIL) * ps;
	struct ww_snapshot *s;

	tt_ok(ww_snapshot_take(t, m, len, &s));
	write_every_other(m, ps);
	tt_check(mmap(tail, TAIL * ps, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == tail, "MAP_FIXED");
	memset(tail, 3, TAIL * ps);
	tt_ret(ww_snapshot_restore(s), -EFAULT);
	left = count_written(m, ps, NPAGES - TAIL, &odd);
	tt_ret(odd, 0);
	/* Something was put back (the first batch), not everything. */
	tt_check(left > 0 && left < (NPAGES - TAIL) / 2, "%zu pages still written", left);
	for (size_t i = 0; i < TAIL * ps; i++)
		tt_check(tail[i] == 3, "the new mapping changed at byte %zu", i);
	tt_ret(ww_snapshot_restore(s), -ENOENT);
	ww_snapshot_free(s);
	munmap(m, len);
}

int main(void)
{
	struct ww_tracker *t = tt_open();
	size_t ps = TT_PAGE;

	read_only_part(t, ps);
	unmapped_part(t, ps);
	if (!strcmp(ww_backend_name(t), "uffd-async"))
		replaced_part(t, ps);
	ww_close(t);
	return 0;
}
