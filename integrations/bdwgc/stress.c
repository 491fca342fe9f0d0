/* SPDX-License-Identifier: MIT */
/*
 * Heap-checking stress for a collector's virtual dirty bits.
 *
 * Threads keep linked lists in the collector's heap and mutate them (new
 * nodes, splices between lists, value updates) while one of them forces
 * collections and the others take incremental steps.  Every node carries a
 * check word derived from its address and value, so a node the collector
 * freed while it was still reachable shows up as soon as it is reused or
 * cleared.  Part of the references are written by the kernel: node
 * addresses go through a memfd and come back with pread(2) into a
 * GC_MALLOC'd array whose previous contents were already scanned; after
 * that the array is the only place that holds them.  A VDB that misses the
 * kernel's write loses those nodes.
 *
 * On a VDB that protects the heap (GC_incremental_protection_needs() says
 * so: bdwgc's MPROTECT_VDB, writewatch's mprotect backend) pread(2) into a
 * protected page fails with EFAULT; the buffer is then written by the
 * program (which unprotects it) and the read retried, as bdwgc documents.
 * Elsewhere EFAULT is a failure.
 *
 *   stress [-t threads] [-n ops per thread]
 * Exit 0: every reachable node was intact; 1: a node was lost or damaged.
 */
#define _GNU_SOURCE
#define GC_THREADS
#include <gc.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define NLISTS   64             /* lists per thread */
#define NREFS    512            /* kernel-written references: one 4 KiB object */
#define MAGIC    0x5bd1e9955bd1e995ull

struct node {
	struct node *next;
	uint64_t value;
	uint64_t check;         /* address ^ value ^ MAGIC */
	char *buf;              /* pointer-free buffer filled by pread(2) */
	uint32_t buflen;
	uint32_t bufsum;
};

struct worker {
	int id;
	long ops;
	int fd;                 /* this thread's memfd */
	uint64_t rng;
	struct node **lists;    /* GC_MALLOC'd: the thread's roots */
	struct node **refs;     /* GC_MALLOC'd: filled by pread(2) only */
	struct node **keep;     /* GC_MALLOC'd: holds fresh nodes during a pread(2) */
	size_t nrefs;
	long efault_retries;
	long short_reads;
	long checked;
};

static atomic_int failed;
static atomic_long total_efault, total_short;
static int protects_heap;

static uint64_t rnd(struct worker *w)
{
	w->rng ^= w->rng << 13;
	w->rng ^= w->rng >> 7;
	w->rng ^= w->rng << 17;
	return w->rng;
}

static void fail(struct worker *w, const char *what, const void *p)
{
	if (!atomic_exchange(&failed, 1))
		fprintf(stderr, "stress: thread %d: %s at %p (GC #%lu)\n", w->id, what, p,
			(unsigned long)GC_get_gc_no());
}

static uint64_t check_of(const struct node *n)
{
	return (uint64_t)(uintptr_t)n ^ n->value ^ MAGIC;
}

static uint32_t sum_of(const char *b, size_t len)
{
	uint32_t s = 2166136261u;

	for (size_t i = 0; i < len; i++)
		s = (s ^ (unsigned char)b[i]) * 16777619u;
	return s;
}

/* Write every page of [p, p+len) from user space (unprotects it). */
static void touch(void *p, size_t len)
{
	long pg = sysconf(_SC_PAGESIZE);
	volatile char *c = p;

	for (size_t off = 0; off < len; off += (size_t)pg)
		c[off] = c[off];
	if (len)
		c[len - 1] = c[len - 1];
}

/* pread(2) exactly len bytes into dst, a heap object. */
static int heap_pread(struct worker *w, void *dst, size_t len, off_t off)
{
	size_t done = 0;
	int tries = 0;

	while (done < len) {
		ssize_t r = pread(w->fd, (char *)dst + done, len - done, off + (off_t)done);

		if (r > 0) {
			done += (size_t)r;
			if (done < len)
				w->short_reads++;
			continue;
		}
		if (r == 0 || (errno != EFAULT && errno != EINTR) ||
		    (errno == EFAULT && !protects_heap) || ++tries > 100000) {
			fail(w, r == 0 ? "short pread" : strerror(errno), dst);
			return -1;
		}
		if (errno == EFAULT) {
			w->efault_retries++;
			touch((char *)dst + done, len - done);
		}
	}
	return 0;
}

static struct node *new_node(struct worker *w)
{
	struct node *n = GC_MALLOC(sizeof(*n));
	uint32_t len = 16 + (uint32_t)(rnd(w) % 2048);
	char tmp[2064];

	if (!n)
		return NULL;
	n->value = rnd(w);
	n->check = check_of(n);
	n->buf = GC_MALLOC_ATOMIC(len);
	if (!n->buf)
		return NULL;
	n->buflen = len;
	for (uint32_t i = 0; i < len; i++)
		tmp[i] = (char)rnd(w);
	n->bufsum = sum_of(tmp, len);
	/* The kernel fills the buffer. */
	if (pwrite(w->fd, tmp, len, 1 << 20) != (ssize_t)len ||
	    heap_pread(w, n->buf, len, 1 << 20))
		fail(w, "buffer i/o", n);
	else if (sum_of(n->buf, len) != n->bufsum) {
		size_t i = 0;

		while (i < len && n->buf[i] == tmp[i])
			i++;
		fprintf(stderr, "stress: pread into %p: byte %zu of %u differs\n",
			(void *)n->buf, i, len);
		fail(w, "pread(2) result differs from the file", n->buf);
	}
	return n;
}

static int node_ok(struct worker *w, const struct node *n)
{
	w->checked++;
	if (n->check != check_of(n)) {
		fail(w, "damaged node", n);
		return 0;
	}
	if (n->buflen < 16 || n->buflen > 2064 || sum_of(n->buf, n->buflen) != n->bufsum) {
		size_t z = 0;

		while (n->buflen <= 2064 && z < n->buflen && !n->buf[z])
			z++;
		if (!atomic_load(&failed))
			fprintf(stderr, "stress: buffer %p of node %p: %u bytes, %zu leading zero bytes\n",
				(void *)n->buf, (void *)n, n->buflen, z);
		fail(w, "damaged buffer", n);
		return 0;
	}
	return 1;
}

static void verify_all(struct worker *w)
{
	for (int l = 0; l < NLISTS; l++)
		for (struct node *n = w->lists[l]; n && !atomic_load(&failed); n = n->next)
			if (!node_ok(w, n))
				return;
	for (size_t i = 0; i < w->nrefs && !atomic_load(&failed); i++)
		if (!w->refs[i] || !node_ok(w, w->refs[i]))
			return;
}

/*
 * Fresh nodes whose only reference is written by the kernel: their
 * addresses go to the memfd from a stack buffer that is then cleared, and
 * come back with pread(2) into w->refs, an old object that user space never
 * writes.  Until the read is complete they are also held by w->keep: a read
 * interrupted by a signal (the collector stopping the world) returns early
 * and resumes later, and what it has not copied yet must stay reachable.
 * Once w->keep is cleared, w->refs is their only reference.
 */
static void kernel_refs(struct worker *w)
{
	struct node *tmp[NREFS];

	for (size_t i = 0; i < NREFS; i++)
		if (!(tmp[i] = w->keep[i] = new_node(w)))
			return fail(w, "out of memory", NULL);
	if (pwrite(w->fd, tmp, sizeof(tmp), 0) != (ssize_t)sizeof(tmp))
		return fail(w, "pwrite", NULL);
	memset(tmp, 0, sizeof(tmp));
	__asm__ __volatile__("" : : "r"(tmp) : "memory");
	if (heap_pread(w, w->refs, sizeof(tmp), 0) == 0)
		w->nrefs = NREFS;
	memset(w->keep, 0, NREFS * sizeof(w->keep[0]));
}

static void mutate(struct worker *w)
{
	int l = (int)(rnd(w) % NLISTS), m = (int)(rnd(w) % NLISTS);
	struct node *n;

	if (rnd(w) % 64 == 0)
		return kernel_refs(w);
	switch (rnd(w) % 7) {
	case 0: case 1: case 2:                 /* push a new node */
		if (!(n = new_node(w)))
			return fail(w, "out of memory", NULL);
		n->next = w->lists[l];
		w->lists[l] = n;
		break;
	case 3:                                 /* drop the head (garbage) */
		if (w->lists[l])
			w->lists[l] = w->lists[l]->next;
		break;
	case 4:                                 /* move the head to another list */
		if ((n = w->lists[l]) && l != m) {
			w->lists[l] = n->next;
			n->next = w->lists[m];
			w->lists[m] = n;
		}
		break;
	case 5:                                 /* rewrite a value in place */
		if ((n = w->lists[l])) {
			n->value = rnd(w);
			n->check = check_of(n);
		}
		break;
	case 6:                                 /* cut a list short */
		if ((n = w->lists[l]) && n->next)
			n->next->next = NULL;
		break;
	}
}

static void *run(void *arg)
{
	struct worker *w = arg;

	w->lists = GC_MALLOC(NLISTS * sizeof(w->lists[0]));
	w->refs = GC_MALLOC(NREFS * sizeof(w->refs[0]));
	w->keep = GC_MALLOC(NREFS * sizeof(w->keep[0]));
	if (!w->lists || !w->refs || !w->keep) {
		fail(w, "out of memory", NULL);
		return NULL;
	}
	for (long i = 0; i < w->ops && !atomic_load(&failed); i++) {
		mutate(w);
		if (i % 64 == 0)
			GC_collect_a_little();
		if (w->id == 0 && i % 2000 == 0)
			GC_gcollect();          /* forced full collections */
		if (i % 997 == 0)
			verify_all(w);
	}
	verify_all(w);
	atomic_fetch_add(&total_efault, w->efault_retries);
	atomic_fetch_add(&total_short, w->short_reads);
	return NULL;
}

int main(int argc, char **argv)
{
	int nthreads = 4, opt;
	long ops = 20000, checked = 0;

	while ((opt = getopt(argc, argv, "t:n:")) != -1) {
		if (opt == 't')
			nthreads = atoi(optarg);
		else if (opt == 'n')
			ops = atol(optarg);
		else
			return 2;
	}
	if (nthreads < 1 || nthreads > 64 || ops < 1)
		return 2;
	GC_INIT();
	protects_heap = GC_is_incremental_mode() &&
			GC_incremental_protection_needs() != GC_PROTECTS_NONE;

	/* Uncollectable: scanned by the collector, so the lists are roots. */
	struct worker *ws = GC_MALLOC_UNCOLLECTABLE((size_t)nthreads * sizeof(*ws));
	pthread_t *tids = calloc((size_t)nthreads, sizeof(*tids));

	if (!ws || !tids)
		return 1;

	for (int i = 0; i < nthreads; i++) {
		ws[i].id = i;
		ws[i].ops = ops;
		ws[i].rng = 0x9e3779b97f4a7c15ull * (uint64_t)(i + 1);
		ws[i].fd = memfd_create("stress", 0);
		if (ws[i].fd < 0 || pthread_create(&tids[i], NULL, run, &ws[i])) {
			perror("stress: setup");
			return 1;
		}
	}
	for (int i = 0; i < nthreads; i++) {
		pthread_join(tids[i], NULL);
		checked += ws[i].checked;
	}
	printf("stress: %s, %d threads x %ld ops, %lu collections, %ld node checks, "
	       "%ld EFAULT retries%s, %ld short reads: %s\n",
	       GC_is_incremental_mode() ? "incremental" : "not incremental", nthreads, ops,
	       (unsigned long)GC_get_gc_no(), checked, atomic_load(&total_efault),
	       protects_heap ? " (heap protected)" : "", atomic_load(&total_short),
	       atomic_load(&failed) ? "FAIL" : "ok");
	return atomic_load(&failed) ? 1 : 0;
}
