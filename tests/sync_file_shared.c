/*
 * uffd-sync cannot write-protect page-cache pages of a regular file: only
 * anonymous memory, shmem/memfd and hugetlb.  Watching a MAP_SHARED (or
 * MAP_PRIVATE) mapping of a file on a disk filesystem fails with -EOPNOTSUPP
 * (the kernel says EINVAL) and changes nothing: the memory stays writable,
 * the tracker stays usable.  A read-only mapping of a memfd (no VM_MAYWRITE)
 * fails with -EPERM.
 */
#include <sys/mman.h>
#include <sys/statfs.h>
#include <linux/magic.h>

#include "sync_util.h"

#define NPAGES 8

/* A writable directory on a disk filesystem (tmpfs files are shmem, which works). */
static const char *disk_dir(void)
{
	static const char *const dirs[] = { "/var/tmp", "/tmp", "/work", "." };
	const char *env = getenv("TMPDIR");
	struct statfs sf;
	size_t i;

	if (env && !statfs(env, &sf) && sf.f_type != TMPFS_MAGIC && sf.f_type != RAMFS_MAGIC &&
	    !access(env, W_OK))
		return env;
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (!statfs(dirs[i], &sf) && sf.f_type != TMPFS_MAGIC &&
		    sf.f_type != RAMFS_MAGIC && !access(dirs[i], W_OK))
			return dirs[i];
	return NULL;
}

int main(void)
{
	struct ww_tracker *t = sync_open();
	size_t len = NPAGES * TT_PAGE;
	const char *dir = disk_dir();
	char path[4096], *shared, *priv, *ro, *anon;
	void *pages[4];
	int fd, mfd, rofd;

	if (!dir)
		tt_skip("no writable directory on a disk filesystem");
	snprintf(path, sizeof(path), "%s/ww-sync-file-XXXXXX", dir);
	fd = mkstemp(path);
	tt_check(fd >= 0, "mkstemp %s: %s", path, strerror(errno));
	unlink(path);
	tt_check(!ftruncate(fd, (off_t)len), "ftruncate: %s", strerror(errno));
	shared = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	priv = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	tt_check(shared != MAP_FAILED && priv != MAP_FAILED, "mmap file: %s", strerror(errno));
	shared[0] = 1;

	tt_ret(ww_watch(t, shared, len), -EOPNOTSUPP);
	tt_ret(ww_watch(t, priv, len), -EOPNOTSUPP);
	tt_ret(ww_get(t, shared, len, pages, 4, 0), -ENOENT);
	shared[TT_PAGE] = 2;                    /* still writable */
	priv[TT_PAGE] = 3;
	tt_check(sync_wp_pages(shared, NPAGES) == 0 && sync_wp_pages(priv, NPAGES) == 0,
		 "a refused watch left protection");

	/* Never writable: a read-only shared mapping of a memfd. */
	mfd = memfd_create("sync_file_shared", MFD_CLOEXEC);
	tt_check(mfd >= 0 && !ftruncate(mfd, (off_t)len), "memfd: %s", strerror(errno));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", mfd);
	rofd = open(path, O_RDONLY | O_CLOEXEC);
	tt_check(rofd >= 0, "open %s read-only: %s", path, strerror(errno));
	ro = mmap(NULL, len, PROT_READ, MAP_SHARED, rofd, 0);
	tt_check(ro != MAP_FAILED, "mmap read-only: %s", strerror(errno));
	tt_ret(ww_watch(t, ro, len), -EPERM);

	/* The tracker still works. */
	anon = tt_map(len);
	tt_ok(ww_watch(t, anon, len));
	anon[2 * TT_PAGE] = 1;
	tt_ret(ww_get(t, anon, len, pages, 4, 0), 1);
	ww_close(t);
	close(fd);
	close(mfd);
	close(rofd);
	return 0;
}
