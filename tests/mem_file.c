/*
 * A MAP_SHARED regular file (page cache) is tracked on uffd-async and
 * mprotect; uffd-sync cannot register it (classic userfaultfd write-protect
 * covers anonymous, shmem and hugetlb only) and says -EOPNOTSUPP.
 */
#include <fcntl.h>
#include "tt_mem.h"

int main(void)
{
	struct ww_tracker *t = tt_open();
	size_t npages = 32, len = npages * TT_PAGE;
	char path[] = "/var/tmp/ww-file-XXXXXX";
	int fd = mkstemp(path), ret;
	char *mem;

	tt_check(fd >= 0, "mkstemp: %s", strerror(errno));
	unlink(path);
	tt_check(ftruncate(fd, (off_t)len) == 0, "ftruncate");
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	tt_check(mem != MAP_FAILED, "mmap");
	mem[0] = 1;
	ret = ww_watch(t, mem, len);
	if (!strcmp(ww_backend_name(t), "uffd-sync")) {
		tt_ret(ret, -EOPNOTSUPP);
		mem[TT_PAGE] = 1;       /* and the memory is untouched by the refusal */
	} else {
		tt_ok(ret);
		tt_mem_cycle(t, mem, npages, TT_PAGE, "shared file");
		tt_ok(ww_unwatch(t, mem, len));
	}
	/* A read-only file mapping can never be written: refused with EPERM. */
	char *ro = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	int fd_ro = open("/proc/self/exe", O_RDONLY);
	char *exe = mmap(NULL, TT_PAGE, PROT_READ, MAP_SHARED, fd_ro, 0);

	tt_check(ro != MAP_FAILED && exe != MAP_FAILED, "mmap ro");
	ret = ww_watch(t, exe, TT_PAGE);
	tt_check(ret == -EPERM || (ret == -EOPNOTSUPP && !strcmp(ww_backend_name(t), "uffd-sync")),
		 "watch of a never-writable mapping: %d (%s)", ret, strerror(-ret));
	ww_close(t);
	return 0;
}
