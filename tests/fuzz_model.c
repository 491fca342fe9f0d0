/* SPDX-License-Identifier: MIT */
/*
 * A seeded, model-based fuzzer of the public contract (README.md, the man pages):
 * random sequences of every public operation, stores by this thread and by
 * writer threads, kernel writes, and the application's own mprotect,
 * MADV_DONTNEED, munmap, mmap, mremap and fork, each checked against a model
 * of what the contract allows (tests/fuzz_model.h).
 *
 * Environment:
 *   FUZZ_SEED=N        replay a run (the seed is printed first: "seed=N")
 *   FUZZ_SECONDS=S     stop after S seconds (default 3)
 *   FUZZ_OPS=N         stop after N operations (default: no limit)
 *   FUZZ_SKIP_OPS=a,b  leave out operations by name (see fz_ops below)
 *   FUZZ_VERBOSE=1     print every operation as it runs
 * WRITEWATCH_BACKEND picks the backend, as for every test.
 * On a violation: the last operations, the violation, the seed and the
 * operation index, and the line that replays it; exit 1.
 */
#include <fcntl.h>
#include <limits.h>

#include <sched.h>

#include "fuzz_model.h"
#include "fuzz_ops_api.h"
#include "fuzz_ops_mem.h"
#include "sync_util.h"
#include "../src/uffd_async_debug.h"

#define FZ_OP_TIMEOUT 60        /* seconds one operation may take before it is a hang */

static struct fz_op {
	const char *name;
	void (*fn)(void);
	unsigned weight;
	bool skip;
} fz_ops[] = {
	{ "watch", fz_op_watch, 8, false },
	{ "unwatch", fz_op_unwatch, 3, false },
	{ "get", fz_op_get, 16, false },
	{ "reset", fz_op_reset, 4, false },
	{ "prepare", fz_op_prepare, 2, false },
	{ "granularity", fz_op_granularity, 1, false },
	{ "badargs", fz_op_badargs, 1, false },
	{ "write", fz_op_write, 12, false },
	{ "kwrite", fz_op_kwrite, 4, false },
	{ "dontneed", fz_op_dontneed, 3, false },
	{ "protect", fz_op_protect, 3, false },
	{ "munmap", fz_op_munmap, 2, false },
	{ "map", fz_op_map, 3, false },
	{ "replace", fz_op_replace, 2, false },
	{ "remap", fz_op_remap, 1, false },
	{ "mremap", fz_op_mremap, 2, false },
	{ "fork", fz_op_fork, 1, false },
	{ "reopen", fz_op_reopen, 1, false },
	{ "writers", fz_op_writers, 3, false },
	{ "burst", fz_op_burst, 2, false },
};
#define FZ_NOPS (sizeof(fz_ops) / sizeof(fz_ops[0]))

/* What a hang leaves to look at: the writers' pages (a writer stuck in a fault?). */
static void fz_hang_report(char *why, size_t len)
{
	int n = snprintf(why, len, "hang: one operation took over %d s; writers running %d, "
			 "storing to pages %ld %ld;", FZ_OP_TIMEOUT, fw.running,
			 atomic_load(&fw.at[0]), atomic_load(&fw.at[1]));

	for (size_t j = 0; j < fw.nset && n < (int)len; j++) {
		const struct fz_page *p = &g.pg[fw.set[j]];

		n += snprintf(why + n, len - n, " writer page %zu: writes started %lu finished %lu, "
			      "watched %d (%s) stale %d kind %d;", fw.set[j],
			      atomic_load(&g.started[fw.set[j]]), atomic_load(&g.finished[fw.set[j]]),
			      p->watched, fz_st_name(p->st), p->stale, p->kind);
	}
}

static pid_t fz_parent;    /* the fuzzer's own process (fork children report as such) */

/* A store the model allowed faulted: what the model and the kernel say of the page. */
static void fz_segv_report(char *why, size_t len, const siginfo_t *si)
{
	long i = ((char *)si->si_addr - g.base) / (long)g.page;
	int n = snprintf(why, len, "SIGSEGV (%s) at %p (window page %ld): memory the contract "
			 "leaves usable is not", si->si_code == SEGV_MAPERR ? "not mapped" :
			 "no access", si->si_addr, i);
	const struct fz_page *p = i >= 0 && (size_t)i < g.npages ? &g.pg[i] : NULL;

	if (p && n < (int)len)
		snprintf(why + n, len - n, "; model: mapped %d ro %d unsure %d replaced %d "
			 "watched %d (%s) kind %d; %s", p->mapped, p->ro, p->unsure, p->replaced,
			 p->watched, fz_st_name(p->st), p->kind, getpid() == fz_parent ? "parent" :
			 "fork child");
}

static void fz_on_signal(int sig, siginfo_t *si, void *uc)
{
	char why[512];

	(void)uc;
	if (sig == SIGALRM)
		fz_hang_report(why, sizeof(why));
	else
		fz_segv_report(why, sizeof(why), si);
	fz_dump(why);
	_exit(1);
}

static void fz_signals(void)
{
	struct sigaction sa = { .sa_sigaction = fz_on_signal, .sa_flags = SA_SIGINFO };

	/* Before ww_open: the mprotect backend passes the faults that are not its own to us. */
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
}

/*
 * uffd-sync, every other seed: the fault thread at idle priority on this
 * thread's CPU, so that faults wait for it and late fault messages meet the
 * calls that follow (races only widened: no verdict depends on the timing).
 */
static void fz_starve_fault_thread(void)
{
	struct sched_param sp = { 0 };
	cpu_set_t cpu;
	pid_t tid;

	if (!fz_is_sync() || !(g.seed & 1) || (tid = sync_fault_thread_tid()) < 0)
		return;
	CPU_ZERO(&cpu);
	CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &cpu);
	if (sched_setaffinity(0, sizeof(cpu), &cpu) || sched_setaffinity(tid, sizeof(cpu), &cpu) ||
	    sched_setscheduler(tid, SCHED_IDLE, &sp))
		printf("could not starve the fault thread: %s\n", strerror(errno));
}

/*
 * uffd-async: the gets take each of their paths in turn, FZ_HOLE_EPOCH
 * operations at a time (so that every run, make check's included, fuzzes
 * all three): this kernel's, the two-part get of kernels that skip
 * page-table holes (WW_ASYNC_DEBUG_HOLES), and that get with its first scan
 * leaving every hole to the library, as on those kernels
 * (WW_ASYNC_DEBUG_HOLES_FILTER).  The answers must not change with the path.
 */
#define FZ_HOLE_EPOCH 1024

static void fz_hole_path(void)
{
	static const unsigned flags[] = { 0, WW_ASYNC_DEBUG_HOLES,
					  WW_ASYNC_DEBUG_HOLES | WW_ASYNC_DEBUG_HOLES_FILTER };

	if (g.op % FZ_HOLE_EPOCH == 0 && !strcmp(g.backend, "uffd-async"))
		ww_async_debug = flags[(g.op / FZ_HOLE_EPOCH + g.seed) % 3];
}

static void fz_skip_ops(void)
{
	const char *s = getenv("FUZZ_SKIP_OPS");
	bool any = false;

	for (size_t j = 0; s && j < FZ_NOPS; j++) {
		size_t n = strlen(fz_ops[j].name);

		for (const char *p = s; (p = strstr(p, fz_ops[j].name)); p += n) {
			if ((p == s || p[-1] == ',') && (p[n] == ',' || !p[n])) {
				fz_ops[j].skip = true;
				printf("skipping op %s\n", fz_ops[j].name);
			}
		}
	}
	for (size_t j = 0; j < FZ_NOPS; j++)
		any |= !fz_ops[j].skip;
	if (!any)
		tt_fail("FUZZ_SKIP_OPS leaves no operation");
}

/* The THP size, when the kernel offers THP (madvise or always) with a sane size. */
static size_t fz_thp_size(void)
{
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size", "re");
	unsigned long sz = 0;
	char mode[128] = "";

	if (f) {
		if (fscanf(f, "%lu", &sz) != 1)
			sz = 0;
		fclose(f);
	}
	f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "re");
	if (f) {
		if (!fgets(mode, sizeof(mode), f))
			mode[0] = 0;
		fclose(f);
	}
	if (strstr(mode, "[never]") || !mode[0] || sz > (32u << 20) || sz < 64 * g.page)
		return 0;
	return sz;
}

/*
 * A window far below the mmap base, so nothing else lands in its holes: at
 * 16 TiB, or (taken there: ASan's shadow memory) at 32 or 80 TiB, clear of
 * ASan's shadow and allocator.
 */
static char *fz_window(size_t len, size_t align)
{
	static const uintptr_t hints[] = { (uintptr_t)1 << 44, (uintptr_t)2 << 44,
					   (uintptr_t)5 << 44 };
	void *p = MAP_FAILED;
	uintptr_t at;

	for (size_t i = 0; i < sizeof(hints) / sizeof(hints[0]) && p == MAP_FAILED; i++)
		p = mmap((void *)hints[i], len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
			 MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
	if (p == MAP_FAILED) {  /* a smaller address space: take what the kernel gives */
		p = mmap(NULL, len + align, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			 -1, 0);
		if (p == MAP_FAILED)
			tt_fail("mmap(window): %s", strerror(errno));
		at = ((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1);
		munmap(p, len + align);
		return (char *)at;
	}
	munmap(p, len);
	return p;
}

static void *fz_zalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p)
		tt_fail("out of memory");
	return p;
}

static void fz_setup(void)
{
	struct ww_probe pr = { .size = sizeof(pr) };
	size_t thp;

	g.page = TT_PAGE;
	thp = fz_thp_size();
	g.thp = thp != 0;
	g.zone_pages = (thp ? thp : 2u << 20) / g.page;
	if (g.zone_pages < 64)
		g.zone_pages = 64;
	g.npages = FZ_ZONES * g.zone_pages;
	g.base = fz_window(g.npages * g.page, g.zone_pages * g.page);
	g.pg = fz_zalloc(g.npages, sizeof(*g.pg));
	g.started = fz_zalloc(g.npages, sizeof(*g.started));
	g.finished = fz_zalloc(g.npages, sizeof(*g.finished));
	g.fin0 = fz_zalloc(g.npages, sizeof(*g.fin0));
	g.sta1 = fz_zalloc(g.npages, sizeof(*g.sta1));
	if (pipe2(g.pipefd, O_CLOEXEC))
		tt_fail("pipe: %s", strerror(errno));
	fcntl(g.pipefd[1], F_SETPIPE_SZ, 1 << 20);
	fz_signals();
	fz_writers_init();      /* thread stacks exist before any hole does */
	g.t = tt_open();
	g.backend = ww_backend_name(g.t);
	ww_probe(&pr);
	g.sees_kernel = fz_is_async() || (fz_is_sync() && !pr.uffd_user_mode_only);
	fz_starve_fault_thread();
}

static struct fz_op *fz_pick_op(void)
{
	unsigned total = 0, x;

	for (size_t j = 0; j < FZ_NOPS; j++)
		total += fz_ops[j].skip ? 0 : fz_ops[j].weight;
	x = (unsigned)fz_rand(total);
	for (size_t j = 0; j < FZ_NOPS; j++) {
		if (fz_ops[j].skip)
			continue;
		if (x < fz_ops[j].weight)
			return &fz_ops[j];
		x -= fz_ops[j].weight;
	}
	return &fz_ops[0];
}

/* The end: every range read in full, then closed, and all memory used once more. */
static void fz_finish(void)
{
	fz_writers_stop();
	for (size_t k = 0; k < g.nr; k++) {
		size_t n = g.r[k].b - g.r[k].a;
		struct fz_get q = { .c = { g.r[k].a, g.r[k].b, fz_addr(g.r[k].a), n * g.page },
				    .max = n + 1, .esize = sizeof(void *) };
		ssize_t got;

		if (fz_status(k) != FZ_LIVE || g.deferred)
			continue;
		q.out = fz_zalloc(q.max, q.esize);
		q.rep = fz_zalloc(g.npages, 1);
		fz_log(false, "final get [%zu,%zu)", q.c.pa, q.c.pb);
		fz_snap_before(0, g.npages);
		got = ww_get(g.t, q.c.lo, q.c.len, q.out, q.max, 0);
		fz_snap_after(0, g.npages);
		if (got < 0)
			fz_fail("final ww_get: %s", strerror((int)-got));
		fz_get_result(&q, got);
		free(q.out);
		free(q.rep);
	}
	fz_op_reopen();
	ww_close(g.t);
	fz_log(false, "closed: every mapped page written, a kernel write into each");
	for (size_t i = 0; i < g.npages; i++) {
		if (!fz_writable(i))
			continue;
		*(volatile char *)fz_addr(i) = 3;
		fz_kernel_write(i, i + 1, 0, g.page);
	}
	munmap(g.base, g.npages * g.page);
}

int main(void)
{
	const char *s = getenv("FUZZ_SEED");
	const char *ss = getenv("FUZZ_SECONDS");
	double secs = ss && *ss ? atof(ss) : 3;
	unsigned long max_ops = getenv("FUZZ_OPS") ? strtoul(getenv("FUZZ_OPS"), NULL, 0) : 0;
	bool verbose = getenv("FUZZ_VERBOSE") && *getenv("FUZZ_VERBOSE") != '0';
	double t0;

	fz_parent = getpid();
	g.seed = s && *s ? strtoull(s, NULL, 0) : (unsigned long long)time(NULL) * 2654435761u ^
		 (unsigned long long)getpid() << 32;
	printf("seed=%llu\n", g.seed);
	fflush(stdout);
	g.rng = g.seed ? g.seed : 1;
	fz_skip_ops();
	fz_setup();
	printf("backend %s, window %zu pages at %p, THP %s, kernel writes %s\n", g.backend,
	       g.npages, (void *)g.base, g.thp ? "yes" : "no", g.sees_kernel ? "seen" : "refused");
	for (int j = 0; j < 6; j++)
		fz_op_map();
	t0 = tt_now();
	/* FUZZ_OPS alone replays exactly that many operations, however long they take. */
	if (max_ops && !(ss && *ss))
		secs = 1e9;
	for (g.op = 0; (!max_ops || g.op < max_ops) && tt_now() - t0 < secs; g.op++) {
		struct fz_op *op = fz_pick_op();

		alarm(FZ_OP_TIMEOUT);
		fz_hole_path();
		fz_writers_guard();
		op->fn();
		fz_check_registry(g.op % 64 == 0);
		alarm(0);
		g.count[op - fz_ops]++;
		if (verbose && g.ntrace)
			printf("%s\n", g.trace[(g.ntrace - 1) % FZ_TRACE]);
	}
	alarm(FZ_OP_TIMEOUT);
	fz_finish();
	printf("fuzz_model: %s, seed=%llu: %lu operations in %.1f s, no violation\n ", g.backend,
	       g.seed, g.op, tt_now() - t0);
	for (size_t j = 0; j < FZ_NOPS; j++)
		printf(" %s %lu", fz_ops[j].name, g.count[j]);
	printf("\n");
	return 0;
}
