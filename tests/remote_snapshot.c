/* SPDX-License-Identifier: MIT */
/*
 * A snapshot of another process (a tracker from ww_open_pid): the target's
 * region, half of it holes, is saved from outside; the target writes pages
 * (holes included), drops pages with MADV_DONTNEED and has a second thread
 * blocked in read(2); after each ww_snapshot_restore the region's content,
 * as the target itself sums it up, is the one at take, the count is the
 * pages changed, and the target goes on answering (it was held stopped
 * only for the restore).
 */
#include <pthread.h>
#include "remote_tt.h"

#define NPAGES 64
#define ROUNDS 200

enum { SN_WRITE = 1, SN_DROP, SN_SUM, SN_EXIT };

struct sn_msg {
	int op;
	long pg, val;
};

static uint64_t region_sum(const char *mem)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < NPAGES * TT_PAGE; i++)
		h = (h ^ (unsigned char)mem[i]) * 1099511628211ULL;
	return h;
}

static void *blocked_reader(void *arg)
{
	char c;

	/* Blocked in read(2) for the whole test: a second thread to hold still. */
	while (read(*(int *)arg, &c, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

static void target(int in, int out)
{
	char *mem = mmap(NULL, NPAGES * TT_PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int idle[2];
	pthread_t th;
	struct sn_msg m;

	if (mem == MAP_FAILED || pipe(idle) || madvise(mem, NPAGES * TT_PAGE, MADV_NOHUGEPAGE))
		_exit(4);
	for (size_t i = 0; i < NPAGES; i += 2)
		memset(mem + i * TT_PAGE, (int)(i + 1), TT_PAGE);
	if (pthread_create(&th, NULL, blocked_reader, &idle[0]))
		_exit(4);
	rt_write_all(out, &mem, sizeof(mem));
	while (!rt_read_all(in, &m, sizeof(m))) {
		uint64_t res = 0;

		if (m.op == SN_WRITE)
			mem[m.pg * TT_PAGE + (size_t)m.val % TT_PAGE] = (char)(m.val | 1);
		else if (m.op == SN_DROP)
			res = (uint64_t)madvise(mem + m.pg * TT_PAGE, TT_PAGE, MADV_DONTNEED);
		else if (m.op == SN_SUM)
			res = region_sum(mem);
		else
			_exit(0);
		rt_write_all(out, &res, sizeof(res));
	}
	_exit(2);
}

static uint64_t cmd(int to, int from, int op, long pg, long val)
{
	struct sn_msg m = { .op = op, .pg = pg, .val = val };
	uint64_t res;

	rt_write_all(to, &m, sizeof(m));
	if (rt_read_all(from, &res, sizeof(res)))
		tt_fail("target stopped answering (op %d)", op);
	return res;
}

int main(void)
{
	int to[2], from[2], st;
	unsigned char touched[NPAGES];
	unsigned long long seed = 29;
	struct ww_snapshot *s;
	struct ww_tracker *t;
	uint64_t sum0;
	char *base;
	pid_t pid;

	tt_check(!pipe2(to, O_CLOEXEC) && !pipe2(from, O_CLOEXEC), "pipe");
	pid = fork();
	tt_check(pid >= 0, "fork");
	if (!pid) {
		close(to[1]);
		close(from[0]);
		target(to[0], from[1]);
	}
	close(to[0]);
	close(from[1]);
	tt_check(!rt_read_all(from[0], &base, sizeof(base)), "target did not start");
	t = rt_open(pid);
	sum0 = cmd(to[1], from[0], SN_SUM, 0, 0);
	tt_ok(ww_snapshot_take(t, base, NPAGES * TT_PAGE, &s));
	tt_ret(cmd(to[1], from[0], SN_SUM, 0, 0), sum0);
	for (unsigned r = 0; r < ROUNDS; r++) {
		size_t want = 0;
		unsigned ops = 1 + (unsigned)(tt_rand(&seed) % 8);

		memset(touched, 0, sizeof(touched));
		for (unsigned k = 0; k < ops; k++) {
			long pg = (long)(tt_rand(&seed) % NPAGES);

			if (k % 4 == 3)
				tt_ret(cmd(to[1], from[0], SN_DROP, pg, 0), 0);
			else
				cmd(to[1], from[0], SN_WRITE, pg, (long)(tt_rand(&seed) % 100000));
			touched[pg] = 1;
		}
		for (size_t i = 0; i < NPAGES; i++)
			want += touched[i];
		tt_ret(ww_snapshot_restore(s), want);
		tt_check(cmd(to[1], from[0], SN_SUM, 0, 0) == sum0,
			 "round %u: the target's region differs from the snapshot", r);
		tt_ret(ww_snapshot_restore(s), 0);
	}
	ww_snapshot_free(s);
	tt_ret(ww_granularity(t, base), -ENOENT);       /* take's watch is gone */
	ww_close(t);
	{
		struct sn_msg m = { .op = SN_EXIT };

		rt_write_all(to[1], &m, sizeof(m));
	}
	while (waitpid(pid, &st, 0) < 0)
		tt_check(errno == EINTR, "waitpid");
	tt_check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "target ended with status %#x", st);
	return 0;
}
