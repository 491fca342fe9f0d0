/* SPDX-License-Identifier: MIT */
/*
 * ww_mappings() lists a child's mappings as /proc/PID/maps has them: its
 * region inside one writable anonymous mapping, [stack] writable, the
 * executable's text not writable (left out with WW_MAPPINGS_WRITABLE),
 * ascending and not overlapping; a munmap'd region is gone from the next
 * listing; bad arguments and a missing process get their errors.
 */
#include <sys/mman.h>

#include "remote_tt.h"

struct seen {
	uint64_t want_lo, want_hi;
	int region, stack, exec, order_bad, count;
	uint64_t last_end;
};

static int note(const struct ww_mapping *m, void *arg)
{
	struct seen *s = arg;

	tt_check(m->size >= sizeof(*m), "size %zu", m->size);
	if (m->start < s->last_end || m->end <= m->start)
		s->order_bad++;
	s->last_end = m->end;
	s->count++;
	if (m->start <= s->want_lo && m->end >= s->want_hi && (m->prot & PROT_WRITE) &&
	    !m->inode && !m->shared && !strcmp(m->name, ""))
		s->region++;
	if (!strcmp(m->name, "[stack]") && (m->prot & PROT_WRITE))
		s->stack++;
	if (m->prot & PROT_EXEC)
		s->exec++;
	return 0;
}

static int stop_at_second(const struct ww_mapping *m, void *arg)
{
	return ++*(int *)arg == 2 ? 42 : 0;
}

int main(void)
{
	struct rt_child c;
	struct seen all = { 0 }, wr = { 0 }, gone = { 0 };
	int n = 0;

	rt_spawn(&c, 16);
	all.want_lo = wr.want_lo = gone.want_lo = (uintptr_t)c.base;
	all.want_hi = wr.want_hi = gone.want_hi = (uintptr_t)c.base + 16 * TT_PAGE;
	tt_ok(ww_mappings(c.pid, 0, note, &all));
	tt_check(all.region == 1 && all.stack == 1 && all.exec > 0 && !all.order_bad,
		 "all: region %d stack %d exec %d order %d", all.region, all.stack, all.exec,
		 all.order_bad);
	tt_ok(ww_mappings(c.pid, WW_MAPPINGS_WRITABLE, note, &wr));
	tt_check(wr.region == 1 && wr.stack == 1 && wr.exec == 0 && wr.count < all.count,
		 "writable: region %d stack %d exec %d", wr.region, wr.stack, wr.exec);
	tt_ret(ww_mappings(c.pid, 0, stop_at_second, &n), 42);
	tt_ret(rt_cmd(&c, RT_MUNMAP, 0), 0);
	tt_ok(ww_mappings(c.pid, WW_MAPPINGS_WRITABLE, note, &gone));
	tt_check(gone.region == 0, "the unmapped region is still listed");

	tt_ret(ww_mappings(-1, 0, note, &all), -EINVAL);
	tt_ret(ww_mappings(c.pid, 2, note, &all), -EINVAL);
	tt_ret(ww_mappings(c.pid, 0, NULL, NULL), -EINVAL);
	n = 0;
	tt_ret(ww_mappings(0, 0, stop_at_second, &n), 42);
	rt_expect_clean_exit(&c);
	tt_ret(ww_mappings(c.pid, 0, note, &all), -ESRCH);
	return 0;
}
