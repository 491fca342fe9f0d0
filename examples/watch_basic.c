/*
 * The smallest useful writewatch program: watch a buffer, let a workload
 * write some of it, ask which pages were written, reset, repeat.
 *
 *   cc watch_basic.c $(pkg-config --cflags --libs writewatch)
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <writewatch.h>

#define NPAGES 256

int main(void)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);   /* the unit of tracking */
	struct ww_tracker *t;
	void *pages[NPAGES];
	char *buf;
	int ret, round;

	ret = ww_open(&t, WW_BACKEND_AUTO, 0);
	if (ret < 0) {
		fprintf(stderr, "ww_open: %s\n", strerror(-ret));
		return 1;
	}
	buf = mmap(NULL, NPAGES * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return 1;
	ret = ww_watch(t, buf, NPAGES * page);
	if (ret < 0) {
		fprintf(stderr, "ww_watch: %s\n", strerror(-ret));
		return 1;
	}
	printf("tracking %d pages with the %s backend\n", NPAGES, ww_backend_name(t));
	for (round = 1; round <= 3; round++) {
		ssize_t n, i;

		/* The "workload": every (7 * round)-th page gets a write. */
		for (i = 0; i < NPAGES; i += 7 * round)
			buf[i * page + round] = (char)round;
		n = ww_get(t, buf, NPAGES * page, pages, NPAGES, WW_GET_RESET);
		if (n < 0) {
			fprintf(stderr, "ww_get: %s\n", strerror((int)-n));
			return 1;
		}
		printf("round %d: %zd pages written:", round, n);
		for (i = 0; i < n && i < 12; i++)
			printf(" %zd", ((char *)pages[i] - buf) / (ssize_t)page);
		printf("%s\n", n > 12 ? " ..." : "");
	}
	ww_close(t);
	munmap(buf, NPAGES * page);
	return 0;
}
