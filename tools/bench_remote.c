/* SPDX-License-Identifier: MIT */
/*
 * writewatch bench --measure remote: what tracking another process costs,
 * against the same work tracked in-process and by the raw kernel sequence,
 * in one run.  Every method tracks memory of a child process (a fresh
 * address space each time, populated before it is armed):
 *
 *   raw          the child arms its region with the hand-written kernel
 *                sequence (tools/measure/baseline_raw.c) and gets+resets it
 *   in-process   the child uses libwritewatch (ww_open, uffd-async)
 *   remote       this process tracks the child with ww_open_pid()
 *
 * Measured: the child's first write to a tracked page (it times its own
 * write loop, whoever armed the pages), get+reset of a range with a fixed
 * share written (timed where the get runs), the time ww_open_pid() and
 * ww_close() take, and the slowdown of a busy workload while a
 * `writewatch track` session collects from it at 10 Hz.  Methods alternate
 * within each repetition; medians are printed.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "writewatch.h"
#include "bench.h"
#include "cli.h"
#include "target.h"
#include "track_session.h"
#include "bench_remote.h"

enum { C_ARM_RAW = 1, C_ARM_LIB, C_DISARM, C_WRITE_ALL, C_WRITE_SET, C_GET_SELF, C_BUSY, C_BUSY_HOT };
enum { M_RAW, M_LIB, M_REMOTE, M_N };
static const char *const m_names[M_N] = { "raw kernel calls", "in-process (uffd-async)",
					  "remote (ww_open_pid)" };

struct child {
	pid_t pid;
	int to, from;
	char *base;
	size_t len;
};

struct req {
	int op;
	uint64_t arg;
};

/* ---- the child ---- */

struct cstate {
	char *base;
	size_t len, ps;
	struct wb_target *t;
	uint64_t v;
};

static void count_run(void *arg, uintptr_t start, uintptr_t end)
{
	*(uint64_t *)arg += (end - start) / wb_page();
}

/* Write every stride-th page (stride 1: all); returns the pages written. */
static uint64_t write_pages(struct cstate *c, uint64_t stride)
{
	uint64_t n = 0;

	c->v++;
	for (size_t off = 0; off < c->len; off += stride * c->ps, n++)
		*(volatile uint64_t *)(c->base + off) = c->v;
	return n;
}

static int64_t child_op(struct cstate *c, const struct req *r)
{
	char why[160];
	double t0;
	uint64_t n = 0;
	long got;

	switch (r->op) {
	case C_ARM_RAW:
	case C_ARM_LIB:
		return wb_target_open(&c->t, r->op == C_ARM_RAW ? WB_RAW : WB_UFFD_ASYNC, c->base,
				      c->len, why, sizeof(why));
	case C_DISARM:
		wb_target_close(c->t);
		c->t = NULL;
		return 0;
	case C_WRITE_ALL:
		t0 = wb_now();
		write_pages(c, 1);
		return (int64_t)((wb_now() - t0) * 1e9);
	case C_WRITE_SET:
		return (int64_t)write_pages(c, r->arg);
	case C_GET_SELF:
		t0 = wb_now();
		got = wb_target_get_reset(c->t, count_run, &n);
		if (got < 0)
			return got;
		return n == r->arg ? (int64_t)((wb_now() - t0) * 1e9) : -EIO;
	}
	return -EINVAL;
}

/*
 * The busy workloads, a fixed number of random writes (returns ns): spread
 * over the whole region, or with a hot set (the first 1/64 of the region
 * takes 95% of the writes, the rest the other 5%), as a heap in use.
 */
static int64_t busy(struct cstate *c, uint64_t writes, bool hot)
{
	uint64_t s = 0x2545f4914f6cdd1dULL, pages = c->len / c->ps, hot_pages = pages / 64;
	double t0 = wb_now();

	for (uint64_t i = 0; i < writes; i++) {
		uint64_t x = wb_rand(&s), p = hot && x % 100 < 95 ? (x >> 8) % hot_pages :
					       (x >> 8) % pages;

		c->base[p * c->ps + (i & 63)] = (char)i;
	}
	return (int64_t)((wb_now() - t0) * 1e9);
}

static void child_main(size_t len, int in, int out)
{
	struct cstate c = { .len = len, .ps = wb_page() };
	struct req r;

	c.base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (c.base == MAP_FAILED)
		_exit(2);
	madvise(c.base, len, MADV_NOHUGEPAGE);  /* tracking splits THP anyway: start at 4 KiB */
	write_pages(&c, 1);                     /* populated, as a heap in use */
	if (write(out, &c.base, sizeof(c.base)) != sizeof(c.base))
		_exit(3);
	while (read(in, &r, sizeof(r)) == sizeof(r)) {
		int64_t res = r.op == C_BUSY || r.op == C_BUSY_HOT ?
			      busy(&c, r.arg, r.op == C_BUSY_HOT) : child_op(&c, &r);

		if (write(out, &res, sizeof(res)) != sizeof(res))
			_exit(3);
	}
	_exit(0);
}

static int child_start(struct child *ch, size_t len)
{
	int to[2], from[2];

	if (pipe2(to, O_CLOEXEC) || pipe2(from, O_CLOEXEC))
		return -errno;
	ch->len = len;
	ch->pid = fork();
	if (ch->pid < 0)
		return -errno;
	if (!ch->pid) {
		close(to[1]);
		close(from[0]);
		child_main(len, to[0], from[1]);
	}
	close(to[0]);
	close(from[1]);
	ch->to = to[1];
	ch->from = from[0];
	if (read(ch->from, &ch->base, sizeof(ch->base)) != sizeof(ch->base))
		return -ECHILD;
	return 0;
}

static int64_t child_cmd(struct child *ch, int op, uint64_t arg)
{
	struct req r = { .op = op, .arg = arg };
	int64_t res;

	if (write(ch->to, &r, sizeof(r)) != sizeof(r) ||
	    read(ch->from, &res, sizeof(res)) != sizeof(res))
		return -ECHILD;
	return res;
}

static void child_end(struct child *ch)
{
	close(ch->to);
	close(ch->from);
	waitpid(ch->pid, NULL, 0);
}

/* ---- the measurements (in this process) ---- */

struct remote_res {
	double first_write[M_N];        /* ns per page */
	double get_reset[M_N];          /* ms */
	double attach_ms, detach_ms;
	double busy_plain_s[2], busy_tracked_s[2];      /* [0] hot set, [1] spread */
	size_t fw_len, gr_len, busy_len;
	uint64_t busy_writes[2];
	unsigned stride;
	int reps;
	int busy_reps;                  /* at most 3: each tracked run takes seconds */
};

static int remote_get(struct ww_tracker *t, struct child *ch, uint64_t want, double *ns)
{
	static struct ww_region regs[WB_OUT_REGIONS];
	char *at = ch->base, *end = ch->base + ch->len;
	double t0 = wb_now();
	uint64_t n = 0;

	while (at < end) {
		void *next = end;
		ssize_t k = ww_get_regions(t, at, (size_t)(end - at), regs, WB_OUT_REGIONS,
					   WW_GET_RESET, &next);

		if (k < 0)
			return (int)k;
		for (ssize_t i = 0; i < k; i++)
			n += (regs[i].end - regs[i].start) / wb_page();
		at = next;
	}
	*ns = (wb_now() - t0) * 1e9;
	return n == want ? 0 : -EIO;
}

/* One method's arming: the child's own (raw, in-process) or ours (remote). */
static int arm(struct child *ch, int m, struct ww_tracker **t, double *attach_ms)
{
	double t0 = wb_now();
	int ret;

	if (m != M_REMOTE)
		return (int)child_cmd(ch, m == M_RAW ? C_ARM_RAW : C_ARM_LIB, 0);
	ret = ww_open_pid(t, ch->pid, WW_BACKEND_UFFD_ASYNC, 0);
	if (attach_ms)
		*attach_ms = (wb_now() - t0) * 1e3;
	if (!ret)
		ret = ww_watch(*t, ch->base, ch->len);
	return ret;
}

static void disarm(struct child *ch, int m, struct ww_tracker *t, double *detach_ms)
{
	double t0 = wb_now();

	if (m != M_REMOTE) {
		child_cmd(ch, C_DISARM, 0);
		return;
	}
	ww_close(t);
	if (detach_ms)
		*detach_ms = (wb_now() - t0) * 1e3;
}

static int first_write(struct remote_res *r, char *why, size_t whylen)
{
	double ns[M_N][64], att[64], det[64];
	size_t pages = r->fw_len / wb_page();
	int ret = 0;

	for (int rep = 0; rep < r->reps && !ret; rep++) {
		struct child ch;

		ret = child_start(&ch, r->fw_len);
		if (ret) {
			snprintf(why, whylen, "starting the target: %s", wb_errname(ret));
			break;
		}
		for (int k = 0; k < M_N && !ret; k++) {
			int m = (k + rep) % M_N;
			struct ww_tracker *t = NULL;
			int64_t w;

			ret = arm(&ch, m, &t, &att[rep]);
			w = ret ? ret : child_cmd(&ch, C_WRITE_ALL, 0);
			if (w < 0 && !ret)
				ret = (int)w;
			ns[m][rep] = (double)w / (double)pages;
			if (!ret || m == M_REMOTE)
				disarm(&ch, m, t, &det[rep]);
			if (ret)
				snprintf(why, whylen, "first write, %s: %s", m_names[m], wb_errname(ret));
		}
		child_end(&ch);
	}
	for (int m = 0; m < M_N && !ret; m++)
		r->first_write[m] = wb_median(ns[m], (size_t)r->reps);
	if (!ret) {
		r->attach_ms = wb_median(att, (size_t)r->reps);
		r->detach_ms = wb_median(det, (size_t)r->reps);
	}
	return ret;
}

#define GETS_PER_ARM 3

static int get_reset(struct remote_res *r, char *why, size_t whylen)
{
	double ms[M_N][64 * GETS_PER_ARM];
	struct child ch;
	int ret = child_start(&ch, r->gr_len), n = 0;

	if (ret) {
		snprintf(why, whylen, "starting the target: %s", wb_errname(ret));
		return ret;
	}
	for (int rep = 0; rep < r->reps && !ret; rep++, n += GETS_PER_ARM) {
		for (int k = 0; k < M_N && !ret; k++) {
			int m = (k + rep) % M_N;
			struct ww_tracker *t = NULL;

			ret = arm(&ch, m, &t, NULL);
			for (int g = 0; g < GETS_PER_ARM && !ret; g++) {
				int64_t want = child_cmd(&ch, C_WRITE_SET, r->stride), v;
				double ns = 0;

				if (want < 0) {
					ret = (int)want;
				} else if (m == M_REMOTE) {
					ret = remote_get(t, &ch, (uint64_t)want, &ns);
				} else {
					v = child_cmd(&ch, C_GET_SELF, (uint64_t)want);
					ret = v < 0 ? (int)v : 0;
					ns = (double)v;
				}
				ms[m][n + g] = ns / 1e6;
			}
			if (!ret || m == M_REMOTE)
				disarm(&ch, m, t, NULL);
			if (ret)
				snprintf(why, whylen, "get+reset, %s: %s", m_names[m], wb_errname(ret));
		}
	}
	child_end(&ch);
	for (int m = 0; m < M_N && !ret; m++)
		r->get_reset[m] = wb_median(ms[m], (size_t)n);
	return ret;
}

/* ---- a busy workload under `writewatch track` at 10 Hz ---- */

struct busy_wait {
	struct child *ch;
};

/* End the session once the workload has answered (its reply is waiting). */
static int busy_done(const struct track_interval *iv, void *arg)
{
	struct busy_wait *b = arg;
	struct pollfd pf = { .fd = b->ch->from, .events = POLLIN };

	return poll(&pf, 1, 0) == 1;
}

static int busy_tracked(struct child *ch, int op, uint64_t writes, double *s_out, char *why,
			size_t whylen)
{
	struct track_opts o = { .pid = ch->pid, .interval_ms = 100 };
	struct busy_wait b = { .ch = ch };
	struct track_session *s;
	struct req rq = { .op = op, .arg = writes };
	int64_t ns;
	int ret = track_open(&s, &o, why, whylen);

	if (ret)
		return ret;
	if (write(ch->to, &rq, sizeof(rq)) != sizeof(rq)) {
		track_close(s);
		return -ECHILD;
	}
	ret = track_run(s, busy_done, &b, why, whylen);
	track_close(s);
	if (read(ch->from, &ns, sizeof(ns)) != sizeof(ns))
		return -ECHILD;
	*s_out = (double)ns / 1e9;
	return ret;
}

static int busy_slowdown(struct remote_res *r, char *why, size_t whylen)
{
	double plain[2][64], tracked[2][64];
	struct child ch;
	int ret = child_start(&ch, r->busy_len);

	if (ret) {
		snprintf(why, whylen, "starting the workload: %s", wb_errname(ret));
		return ret;
	}
	for (int rep = 0; rep < r->busy_reps && !ret; rep++) {
		for (int w = 0; w < 2 && !ret; w++) {
			int op = w ? C_BUSY : C_BUSY_HOT;
			int64_t ns = child_cmd(&ch, op, r->busy_writes[w]);

			if (ns < 0)
				ret = (int)ns;
			plain[w][rep] = (double)ns / 1e9;
			if (!ret)
				ret = busy_tracked(&ch, op, r->busy_writes[w], &tracked[w][rep], why,
						   whylen);
		}
	}
	child_end(&ch);
	if (ret)
		return ret;
	for (int w = 0; w < 2; w++) {
		r->busy_plain_s[w] = wb_median(plain[w], (size_t)r->busy_reps);
		r->busy_tracked_s[w] = wb_median(tracked[w], (size_t)r->busy_reps);
	}
	return 0;
}

/* ---- output ---- */

/* The three sizes every report names: first write, get+reset, busy workload. */
struct sizes {
	char fw[32], gr[32], bz[32];
};

static void fmt_sizes(const struct remote_res *r, struct sizes *z)
{
	wb_fmt_size(z->fw, sizeof(z->fw), r->fw_len);
	wb_fmt_size(z->gr, sizeof(z->gr), r->gr_len);
	wb_fmt_size(z->bz, sizeof(z->bz), r->busy_len);
}

static void print_text(const struct remote_res *r, const struct wb_env *env)
{
	struct sizes z;
	const char *fw = z.fw, *gr = z.gr, *bz = z.bz;

	fmt_sizes(r, &z);
	printf("writewatch bench --measure remote: Linux %s, %ld CPUs, load %.2f, nice %d, "
	       "%d repetitions, medians\n\n", env->kernel, env->cpus, env->load, env->nice, r->reps);
	printf("%-44s %18s %24s %22s\n", "", m_names[M_RAW], m_names[M_LIB], m_names[M_REMOTE]);
	printf("first write to a tracked page, %-8s dense %15.0f ns %21.0f ns %19.0f ns\n", fw,
	       r->first_write[M_RAW], r->first_write[M_LIB], r->first_write[M_REMOTE]);
	printf("get+reset, %-8s tracked, 1 page in %-3u  %15.2f ms %21.2f ms %19.2f ms\n", gr,
	       r->stride, r->get_reset[M_RAW], r->get_reset[M_LIB], r->get_reset[M_REMOTE]);
	printf("\nremote vs in-process: first write %.2fx, get+reset %.2fx\n",
	       r->first_write[M_REMOTE] / r->first_write[M_LIB],
	       r->get_reset[M_REMOTE] / r->get_reset[M_LIB]);
	printf("ww_open_pid (attach, userfaultfd injected) %.2f ms; ww_close (detach) %.2f ms\n",
	       r->attach_ms, r->detach_ms);
	printf("under writewatch track at 10 Hz, %s busy: hot set (%" PRIu64 "M random writes, "
	       "95%% in 1/64 of it) %.3f s vs %.3f s untracked: %.2fx; spread (%" PRIu64 "M over "
	       "all of it) %.3f s vs %.3f s: %.2fx\n", bz, r->busy_writes[0] / 1000000,
	       r->busy_tracked_s[0], r->busy_plain_s[0], r->busy_tracked_s[0] / r->busy_plain_s[0],
	       r->busy_writes[1] / 1000000, r->busy_tracked_s[1], r->busy_plain_s[1],
	       r->busy_tracked_s[1] / r->busy_plain_s[1]);
}

static void print_markdown(const struct remote_res *r, const struct wb_env *env)
{
	struct sizes z;
	const char *fw = z.fw, *gr = z.gr, *bz = z.bz;

	fmt_sizes(r, &z);
	printf("Linux %s, %ld CPUs, load average %.2f at the start, nice %d; medians of %d "
	       "repetitions.\n\n", env->kernel, env->cpus, env->load, env->nice, r->reps);
	printf("| | %s | %s | %s |\n|---|---:|---:|---:|\n", m_names[M_RAW], m_names[M_LIB],
	       m_names[M_REMOTE]);
	printf("| first write to a tracked page, %s dense | %.0f ns | %.0f ns | %.0f ns |\n", fw,
	       r->first_write[M_RAW], r->first_write[M_LIB], r->first_write[M_REMOTE]);
	printf("| get+reset, %s tracked, 1 page in %u written | %.2f ms | %.2f ms | %.2f ms |\n", gr,
	       r->stride, r->get_reset[M_RAW], r->get_reset[M_LIB], r->get_reset[M_REMOTE]);
	printf("\nRemote against in-process: %.2fx per first write, %.2fx per get+reset. "
	       "`ww_open_pid` (attach, with the injection) takes %.2f ms and `ww_close` (detach) "
	       "%.2f ms. While `writewatch track` collects at 10 Hz from a process busy on %s, "
	       "a hot-set workload (%" PRIu64 "M random writes, 95%% of them in 1/64 of the memory) "
	       "takes %.2fx as long as untracked (%.3f s against %.3f s), and one that spreads "
	       "%" PRIu64 "M random writes over all of it, so that nearly every write is the first "
	       "to its page since the last collection, %.2fx (%.3f s against %.3f s).\n",
	       r->first_write[M_REMOTE] / r->first_write[M_LIB],
	       r->get_reset[M_REMOTE] / r->get_reset[M_LIB], r->attach_ms, r->detach_ms, bz,
	       r->busy_writes[0] / 1000000, r->busy_tracked_s[0] / r->busy_plain_s[0],
	       r->busy_tracked_s[0], r->busy_plain_s[0], r->busy_writes[1] / 1000000,
	       r->busy_tracked_s[1] / r->busy_plain_s[1], r->busy_tracked_s[1], r->busy_plain_s[1]);
}

int bench_remote(const struct bench_opts *o)
{
	struct remote_res r = {
		.reps = o->reps > 64 ? 64 : o->reps,
		.busy_reps = o->reps > 3 ? 3 : o->reps,
		.fw_len = o->quick ? 16UL << 20 : 64UL << 20,
		.gr_len = o->quick ? 128UL << 20 : 1UL << 30,
		.busy_len = o->quick ? 64UL << 20 : 256UL << 20,
		.busy_writes = { o->quick ? 4000000 : 20000000, o->quick ? 1000000 : 2000000 },
		.stride = 100,
	};
	char why[256] = "";
	struct wb_env env;
	int ret, nice;

	if (wb_method_available(WB_RAW, why, sizeof(why)) ||
	    wb_method_available(WB_UFFD_ASYNC, why, sizeof(why)))
		return cli_report(CLI_NOTAVAIL, "bench", "remote: %s", why);
	/* As the other measures: children inherit the priority; failing to raise it is fine. */
	nice = getpriority(PRIO_PROCESS, 0);
	if (!o->no_nice && !setpriority(PRIO_PROCESS, 0, -20))
		nice = -20;
	wb_env_get(&env, nice);
	ret = first_write(&r, why, sizeof(why));
	if (!ret)
		ret = get_reset(&r, why, sizeof(why));
	if (!ret)
		ret = busy_slowdown(&r, why, sizeof(why));
	if (ret == -EOPNOTSUPP)
		return cli_report(CLI_NOTAVAIL, "bench", "remote: %s", why);
	if (ret)
		return cli_error("bench", "remote: %s", why);
	if (o->markdown)
		print_markdown(&r, &env);
	else
		print_text(&r, &env);
	return cli_finish_output("bench", CLI_OK);
}
