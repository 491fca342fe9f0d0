/* SPDX-License-Identifier: MIT */
/*
 * Every backend: with no SIGSEGV handler of its own, a program tracking
 * memory still dies of SIGSEGV exactly where it would have without the
 * tracker: a write to a PROT_NONE page, to a read-only page inside a
 * watched range, a read of unmapped memory, raise(SIGSEGV), and a fault in a
 * thread other than the one that watched.  Each case runs in a child (no
 * core dump) that first checks tracking works there.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include "tt.h"

#define NP 8

enum how { WRITE_NONE, WRITE_RO_IN_RANGE, READ_UNMAPPED, RAISE, OTHER_THREAD, NHOW };

static const char *const names[NHOW] = {
	"write to a PROT_NONE page", "write to a read-only page in the watched range",
	"read of unmapped memory", "raise(SIGSEGV)", "write to PROT_NONE in another thread",
};

static char *none_page;

static void *thread_fault(void *arg)
{
	(void)arg;
	none_page[0] = 1;
	return NULL;
}

static void child(enum how how)
{
	struct ww_tracker *t;
	char *mem, *gone;
	void *pages[NP];
	pthread_t th;

	/* Really the default action (a sanitizer runtime installs a handler of its own). */
	signal(SIGSEGV, SIG_DFL);
	/* No core file; stay dumpable (a non-dumpable unprivileged process may not open its pagemap). */
	setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 });
	t = tt_open();
	mem = tt_map(NP * TT_PAGE);
	gone = tt_map(TT_PAGE);
	none_page = tt_map(TT_PAGE);
	mprotect(none_page, TT_PAGE, PROT_NONE);
	mprotect(mem + 2 * TT_PAGE, TT_PAGE, PROT_READ);
	if (ww_watch(t, mem, NP * TT_PAGE))
		_exit(10);
	mem[0] = 1;
	mem[5 * TT_PAGE] = 1;
	if (ww_get(t, mem, NP * TT_PAGE, pages, NP, 0) != 2)
		_exit(11);
	munmap(gone, TT_PAGE);          /* last: no later mmap can reuse the hole */
	switch (how) {
	case WRITE_NONE:
		*(volatile char *)none_page = 1;
		break;
	case WRITE_RO_IN_RANGE:
		*(volatile char *)(mem + 2 * TT_PAGE) = 1;
		break;
	case READ_UNMAPPED:
		(void)*(volatile char *)gone;
		break;
	case RAISE:
		raise(SIGSEGV);
		break;
	case OTHER_THREAD:
		pthread_create(&th, NULL, thread_fault, NULL);
		pthread_join(th, NULL);
		break;
	default:
		break;
	}
	_exit(12);                      /* survived */
}

int main(void)
{
	enum how how;

	for (how = 0; how < NHOW; how++) {
		int status;
		pid_t pid;

		fflush(NULL);
		pid = fork();
		tt_check(pid >= 0, "fork: %s", strerror(errno));
		if (!pid)
			child(how);
		tt_check(waitpid(pid, &status, 0) == pid, "waitpid: %s", strerror(errno));
		if (WIFEXITED(status) && WEXITSTATUS(status) == TT_SKIP_CODE)
			tt_skip("backend %s not available here", tt_backend());
		tt_check(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV,
			 "%s: child %s %d, want killed by SIGSEGV", names[how],
			 WIFSIGNALED(status) ? "killed by signal" : "exited with",
			 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	}
	return 0;
}
