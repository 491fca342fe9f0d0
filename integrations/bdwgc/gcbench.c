/* SPDX-License-Identifier: MIT */
/*
 * A collector benchmark of the GCBench kind: a long-lived binary tree and a
 * long-lived array of doubles stay reachable for the whole run while many
 * short-lived binary trees of growing depth are built top-down (each node
 * linked into its parent before its children are made, so old objects are
 * written: the case a VDB must track) and bottom-up.  Every tree is counted
 * after it is built and the long-lived structures are checked at the end,
 * so a collector that frees a live object fails the run.
 *
 *   gcbench [-d max depth] [-l long-lived depth] [-s stretch depth]
 * Prints one line; exit 0 if every check passed.
 */
#define GC_THREADS
#include <gc.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

struct node {
	struct node *left, *right;
	long i, j;
};

static long nodes_in(int depth)
{
	return (1L << (depth + 1)) - 1;
}

static struct node *new_node(struct node *l, struct node *r)
{
	struct node *n = GC_MALLOC(sizeof(*n));

	if (!n) {
		fprintf(stderr, "gcbench: out of memory\n");
		exit(1);
	}
	n->left = l;
	n->right = r;
	return n;
}

/* Top-down: the parent exists (and is old) when its children are stored. */
static void populate(int depth, struct node *n)
{
	if (depth <= 0)
		return;
	n->left = new_node(NULL, NULL);
	n->right = new_node(NULL, NULL);
	populate(depth - 1, n->left);
	populate(depth - 1, n->right);
}

static struct node *make_tree(int depth)
{
	if (depth <= 0)
		return new_node(NULL, NULL);
	return new_node(make_tree(depth - 1), make_tree(depth - 1));
}

static long count(const struct node *n)
{
	return n ? 1 + count(n->left) + count(n->right) : 0;
}

int main(int argc, char **argv)
{
	int max_depth = 16, long_depth = 16, stretch = 18, opt, bad = 0;
	long built = 0;

	while ((opt = getopt(argc, argv, "d:l:s:")) != -1) {
		if (opt == 'd')
			max_depth = atoi(optarg);
		else if (opt == 'l')
			long_depth = atoi(optarg);
		else if (opt == 's')
			stretch = atoi(optarg);
		else
			return 2;
	}
	if (max_depth < 4 || max_depth > 24 || long_depth < 1 || long_depth > 24 ||
	    stretch < 1 || stretch > 24)
		return 2;
	GC_INIT();

	/* Stretch the heap once. */
	if (count(make_tree(stretch)) != nodes_in(stretch))
		bad = 1;

	struct node *long_lived = new_node(NULL, NULL);
	long array_len = 500000;
	double *array = GC_MALLOC_ATOMIC((size_t)array_len * sizeof(double));

	populate(long_depth, long_lived);
	if (!array)
		return 1;
	for (long k = 0; k < array_len / 2; k++)
		array[k] = 1.0 / (double)(k + 1);

	for (int d = 4; d <= max_depth; d += 2) {
		long iters = 2 * nodes_in(max_depth) / nodes_in(d);

		for (long k = 0; k < iters; k++) {
			struct node *t = new_node(NULL, NULL);

			populate(d, t);
			if (count(t) != nodes_in(d))
				bad = 1;
			if (count(make_tree(d)) != nodes_in(d))
				bad = 1;
			built += 2;
		}
	}
	if (count(long_lived) != nodes_in(long_depth))
		bad = 1;
	for (long k = 0; k < array_len / 2; k++)
		if (array[k] != 1.0 / (double)(k + 1))
			bad = 1;
	printf("gcbench: %s, %ld trees up to depth %d, %lu collections, heap %lu KiB: %s\n",
	       GC_is_incremental_mode() ? "incremental" : "not incremental", built, max_depth,
	       (unsigned long)GC_get_gc_no(), (unsigned long)(GC_get_heap_size() >> 10),
	       bad ? "FAIL" : "ok");
	return bad;
}
