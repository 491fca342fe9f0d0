/* SPDX-License-Identifier: MIT */
/*
 * The measuring code of the writewatch command: tracking methods behind one
 * interface, the first-write and get+reset measures, the demo workload, and
 * the report formats.  `writewatch bench` and `writewatch demo` are front
 * ends over it; bench/ programs may link it too.  It knows nothing of
 * command lines or exit codes.
 *
 * Every measurement runs in a forked child (child.c): a fresh address space
 * (no page tables or VMA splits left over from the previous method), its own
 * signal handlers, and a crash or a kernel limit (vm.max_map_count) fails
 * one row instead of the whole run.  Figures are measured, never made up;
 * nothing here asserts on time.
 */
#ifndef WB_MEASURE_H
#define WB_MEASURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* The base page size, from sysconf (4 KiB on x86_64, 4/16/64 KiB on arm64). */
size_t wb_page(void);

/* What tracks the memory while it is measured. */
enum wb_method {
	WB_UNTRACKED = 0,       /* plain memory: the floor */
	WB_RAW,                 /* baseline: uffd WP_ASYNC + PAGEMAP_SCAN by hand (the limit) */
	WB_UFFD_ASYNC,          /* libwritewatch, uffd-async backend */
	WB_UFFD_SYNC,           /* libwritewatch, uffd-sync backend */
	WB_MPROTECT,            /* libwritewatch, mprotect backend */
	WB_PLAIN_MPROTECT,      /* baseline: mprotect + SIGSEGV by hand, as Wine and Boehm GC */
	WB_OLD_PAGEMAP,         /* baseline: uffd WP_ASYNC, /proc/self/pagemap + per-page re-protect */
	WB_NMETHODS
};

const char *wb_method_name(enum wb_method m);           /* "raw", "uffd-async", ... */
const char *wb_method_desc(enum wb_method m);           /* one line */
int wb_method_parse(const char *name, enum wb_method *out);
/* 0 if m can run here, else -errno and a one-line reason. */
int wb_method_available(enum wb_method m, char *why, size_t whylen);
/* Methods that take part in a measure ("untracked" has no get, "old-pagemap" no own write path). */
bool wb_method_measures_first_write(enum wb_method m);
bool wb_method_measures_get_reset(enum wb_method m);

enum wb_pattern { WB_DENSE = 0, WB_STRIDED, WB_RANDOM, WB_NPATTERNS };
const char *wb_pattern_name(enum wb_pattern p);
int wb_pattern_parse(const char *s, enum wb_pattern *out);

enum wb_measure { WB_FIRST_WRITE = 0, WB_GET_RESET };
const char *wb_measure_name(enum wb_measure m);         /* "first_write", "get_reset" */

/* auto: full up to 2 GiB; none: nothing populated when armed (the writes populate it). */
enum wb_populate { WB_POP_AUTO = 0, WB_POP_FULL, WB_POP_WRITTEN, WB_POP_NONE };

/*
 * One measured situation: size bytes are tracked; the written set is
 * `pages` pages (if non-zero) else fraction of them, laid out by pattern:
 * dense = one contiguous block at the start, strided = evenly spaced,
 * random = uniformly chosen and written in random order.
 */
struct wb_case {
	enum wb_measure measure;
	enum wb_pattern pattern;
	size_t size;
	double fraction;
	size_t pages;
	int threads;
	int reps;
	enum wb_populate populate;
};

/* Pages of c written per repetition. */
size_t wb_case_written(const struct wb_case *c);
/* Human label: "random 1% of 1 GiB" etc. */
void wb_case_label(const struct wb_case *c, char *buf, size_t len);
bool wb_case_same(const struct wb_case *a, const struct wb_case *b);

/*
 * Can `areas` ranges of size bytes be measured here at once?  Checks the
 * page-index limit of the written set and maps them (MAP_NORESERVE, as the
 * measurement does) and unmaps them again.  0, or -errno and why.
 */
int wb_size_check(size_t size, int areas, char *why, size_t whylen);

enum wb_status { WB_OK = 0, WB_NA, WB_FAILED };

#define WB_MAX_SAMPLES 512

struct wb_result {
	struct wb_case c;
	enum wb_method method;
	enum wb_status status;
	char reason[200];
	size_t written;                 /* pages written per rep */
	double median, min, max;        /* ns per page (first write) or ms per get+reset */
	double vs_raw, vs_async;        /* median ratios; 0 when not measured */
	unsigned long mismatches;       /* reps where the get did not report exactly the set */
	long last_mismatch;             /* the page count such a get reported */
	double arm_ms;                  /* time to start tracking the range (watch, register) */
	long pt_kib;                    /* page-table memory the arming added (VmPTE), KiB */
	bool populated_full;
	bool populated_none;            /* untouched when armed (--populate none) */
	int nsamples;                   /* timed repetitions so far, over all rounds */
	double samples[WB_MAX_SAMPLES]; /* per repetition, same unit as median */
};

/* Progress lines (on stderr): one per measurement, rewritten in place on a terminal. */
struct wb_progress {
	bool enabled;
	bool tty;
	int done, total;
};
void wb_progress_init(struct wb_progress *p, int total, bool enabled);
void wb_progress_step(struct wb_progress *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void wb_progress_end(struct wb_progress *p);

/*
 * Measure case c with methods ms[0..n) into rs[0..n) (always filled: n/a
 * and failures carry a reason).  The methods run together in one forked
 * child, each on its own memory, with their repetitions interleaved (so a
 * noisy neighbour hits them alike); pass n == 1 to measure one method in
 * isolation.  WB_NOFORK in the environment measures in this process (for
 * debugging).  timeout_s: kill the child after that long.
 */
void wb_measure_run(const struct wb_case *c, const enum wb_method *ms, int n,
		    struct wb_result *rs, struct wb_progress *prog, int timeout_s);
/*
 * Another round of the same measurement: its samples join acc's and the
 * median, min and max are recomputed over all of them.
 */
void wb_measure_merge(struct wb_result *acc, const struct wb_result *more);

/* Fill vs_raw / vs_async of every result from the rows of the same case. */
void wb_results_ratios(struct wb_result *r, size_t n);

/* ---- output ---- */
void wb_report_text(FILE *f, const struct wb_result *r, size_t n, bool markdown);
void wb_report_csv(FILE *f, const struct wb_result *r, size_t n);
/* "full", "written" or "none": how r's memory was populated when armed. */
const char *wb_populated_name(const struct wb_result *r);
/* Where the figures were taken (printed with JSON output). */
struct wb_env {
	char kernel[65];
	long cpus;
	double load;                    /* 1-minute load average at the start */
	int nice;
};
void wb_env_get(struct wb_env *e, int nice);
void wb_report_json(FILE *f, const struct wb_result *r, size_t n, const char *command,
		    const struct wb_env *env);
#define WB_CSV_HEADER "measure,method,pattern,size_bytes,fraction,written_pages,threads,reps," \
		      "populate,median,min,max,unit,vs_raw,vs_uffd_async,mismatches,arm_ms,pt_kib,status,reason"

/* ---- the demo workload: a mutator with a hot set and a cold tail ---- */
struct wb_workload {
	size_t heap;                    /* bytes */
	double hot_fraction;            /* share of heap pages in the hot set */
	double cold_share;              /* share of writes that go to the cold tail */
	int threads;
	uint64_t ops_per_thread;        /* work units per mutator thread */
	double interval_s;              /* get+reset period */
};

struct wb_interval {
	int index;
	double t;                       /* seconds since the mutators started */
	size_t pages, runs, hot, cold;  /* written pages; runs; of which hot / cold */
	double get_ms;                  /* cost of this get+reset */
};

struct wb_workload_result {
	enum wb_status status;
	char reason[200];
	double seconds;                 /* wall time of the mutators */
	double cpu_seconds;             /* CPU time of the whole process meanwhile (user + sys) */
	int intervals;
	size_t pages_total;
	double get_ms_median;
};

typedef void (*wb_interval_fn)(const struct wb_interval *iv, void *arg);
/*
 * Run the workload under method m (WB_UNTRACKED: no tracking) in a forked
 * child; each interval is passed to fn in the child (print it there).
 */
void wb_workload_run(const struct wb_workload *w, enum wb_method m,
		     struct wb_workload_result *res, wb_interval_fn fn, void *arg, int timeout_s);
/* Choose ops_per_thread so that an untracked run lasts about seconds (runs it, forked). */
uint64_t wb_workload_calibrate(const struct wb_workload *w, double seconds);

/* ---- helpers ---- */

/* Run fn(arg, out) in a forked child that hands back len bytes of out (child.c). */
typedef void (*wb_child_fn)(void *arg, void *out);
/*
 * 0 when the child delivered out; else -errno and why says what happened to
 * it ("killed by signal 9 (SIGKILL)", "timed out after 600 s", ...).  Without
 * fork when WB_NOFORK is set.  After a failure out holds whatever part of
 * a result arrived: start it afresh.
 */
int wb_child_run(wb_child_fn fn, void *arg, void *out, size_t len, int timeout_s,
		 char *why, size_t whylen);
double wb_now(void);
double wb_median(double *v, size_t n);  /* sorts v */
uint64_t wb_rand(uint64_t *s);
/*
 * A plain decimal number ("12", "0.5"): no sign, exponent, hex, inf or nan.
 * -EINVAL on anything else.
 */
int wb_parse_decimal(const char *s, double *out);
/* "64M", "1GiB", "4096", "16g": bytes; -EINVAL on garbage. */
int wb_parse_size(const char *s, size_t *out);
/* "0.01", "1%", "1/64": a fraction in (0, 1]. */
int wb_parse_fraction(const char *s, double *out);
void wb_fmt_size(char *buf, size_t len, size_t bytes);  /* "1 GiB", "64 MiB", "12 KiB" */
void wb_fmt_fraction(char *buf, size_t len, double f);  /* "1%", "0.01%", "1/64" */
/* Scan the first line of /proc/self/status that fmt matches ("VmPTE: %ld kB"): 0 or -errno. */
int wb_status_scan(const char *fmt, ...) __attribute__((format(scanf, 1, 2)));
/*
 * A method whose bookkeeping for a range costs bytes (page tables of
 * markers, a byte map) refuses it beyond a quarter of RAM rather than run
 * the machine out of memory: 0, or -ENOMEM and why ("refused: ...").
 */
int wb_cost_check(uint64_t bytes, const char *what, char *why, size_t whylen);
/* "EACCES" for -EACCES or EACCES (a number when glibc has no name). */
const char *wb_errname(int err);
/* JSON string literal of s (quotes included). */
void wb_json_str(FILE *f, const char *s);

#endif /* WB_MEASURE_H */
