/*
 * A fuzz loop's shape: a target keeps a large state (here a 256 MiB
 * open-addressing symbol table, loaded once), each run parses one input
 * into it, and before the next run the state must be exactly as loaded.
 * Two ways to get there, side by side:
 *
 *   snapshot   run in this process, then ww_snapshot_restore(): only the
 *              pages the run wrote are put back
 *   fork       a child per run (a fork server): the parent's state is
 *              never touched, the child's copy is thrown away
 *
 * Prints runs per second of each, and checks after the snapshot loop that
 * the state is byte for byte the loaded one.
 *
 *   cc snapshot_fuzz.c $(pkg-config --cflags --libs writewatch)
 *   ./snapshot_fuzz [runs] [state MiB]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <writewatch.h>

struct slot {
	uint64_t key;
	uint64_t count;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

/* The target: count every token of the input in the table (inserting new ones). */
static void parse(struct slot *tab, size_t nslots, const char *in, size_t len)
{
	uint64_t h = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i < len && in[i] != ' ') {
			h = h * 131 + (unsigned char)in[i];
			continue;
		}
		if (!h)
			continue;
		for (size_t s = mix(h) & (nslots - 1);; s = (s + 1) & (nslots - 1)) {
			if (tab[s].key == h || !tab[s].key) {
				tab[s].key = h;
				tab[s].count++;
				break;
			}
		}
		h = 0;
	}
}

/* A random input of a few dozen tokens, as a mutator would produce. */
static size_t make_input(char *buf, size_t cap, uint64_t *seed)
{
	size_t n = 0, tokens = 8 + (*seed = mix(*seed + 1)) % 56;

	for (size_t t = 0; t < tokens && n + 12 < cap; t++) {
		n += (size_t)snprintf(buf + n, cap - n, "w%llu ",
				      (unsigned long long)((*seed = mix(*seed)) % 1000000));
	}
	return n;
}

int main(int argc, char **argv)
{
	long runs = argc > 1 ? atol(argv[1]) : 2000, frun;
	size_t len = (argc > 2 ? (size_t)atol(argv[2]) : 256) << 20, nslots = len / sizeof(struct slot);
	struct ww_tracker *t;
	struct ww_snapshot *snap;
	uint64_t seed = 1;
	char in[1024], *golden;
	struct slot *tab;
	double t0, snap_s, fork_s;
	int ret;

	if (runs < 1 || len < (1 << 20) || (nslots & (nslots - 1))) {
		fprintf(stderr, "usage: %s [runs] [state MiB, a power of two]\n", argv[0]);
		return 2;
	}
	tab = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	golden = malloc(len);
	if (tab == MAP_FAILED || !golden)
		return perror("memory"), 1;
	/* The loaded state: a dictionary filling a tenth of the table. */
	for (size_t i = 0; i < nslots / 10; i++)
		tab[mix(i + 7) & (nslots - 1)] = (struct slot){ .key = mix(i) | 1, .count = 1 };
	memcpy(golden, tab, len);

	ret = ww_open(&t, WW_BACKEND_AUTO, 0);
	if (!ret)
		ret = ww_snapshot_take(t, tab, len, &snap);
	if (ret) {
		fprintf(stderr, "snapshot: %s\n", strerror(-ret));
		return 1;
	}
	t0 = now();
	for (long r = 0; r < runs; r++) {
		parse(tab, nslots, in, make_input(in, sizeof(in), &seed));
		ret = (int)ww_snapshot_restore(snap);
		if (ret < 0) {
			fprintf(stderr, "ww_snapshot_restore: %s\n", strerror(-ret));
			return 1;
		}
	}
	snap_s = now() - t0;
	if (memcmp(tab, golden, len)) {
		fprintf(stderr, "the state differs from the loaded one after the snapshot loop\n");
		return 1;
	}

	printf("state %zu MiB, backend %s\n", len >> 20, ww_backend_name(t));
	printf("  snapshot restore: %10.0f runs/s (%ld runs)\n", runs / snap_s, runs);
	/* The fork server's process holds the state only: no saved copy, no tracker. */
	ww_snapshot_free(snap);
	ww_close(t);
	free(golden);

	seed = 1;
	frun = runs < 200 ? runs : 200;         /* a fork per run is slow: fewer runs */
	t0 = now();
	for (long r = 0; r < frun; r++) {
		size_t n = make_input(in, sizeof(in), &seed);
		pid_t pid = fork();
		int st;

		if (pid < 0)
			return perror("fork"), 1;
		if (!pid) {
			parse(tab, nslots, in, n);
			_exit(0);
		}
		waitpid(pid, &st, 0);
	}
	fork_s = now() - t0;

	printf("  fork per run:     %10.0f runs/s (%ld runs)\n", frun / fork_s, frun);
	printf("  snapshot / fork:  %10.1fx runs per second\n", (runs / snap_s) / (frun / fork_s));
	return 0;
}
