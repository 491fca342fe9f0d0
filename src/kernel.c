/* SPDX-License-Identifier: MIT */
/*
 * Kernel interface.  This file alone calls ioctl()/syscall(); everything
 * else in the library goes through these wrappers, which turn failures into
 * -errno and retry the transient ones (EINTR, and EAGAIN where userfaultfd
 * uses it for "the address space is changing under you, try again").
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "util.h"
#include "kernel.h"

/* PROCMAP_QUERY (Linux 6.11, include/uapi/linux/fs.h): one VMA by address. */
struct ww_procmap_query {
	__u64 size;
	__u64 query_flags;
	__u64 query_addr;
	__u64 vma_start;
	__u64 vma_end;
	__u64 vma_flags;
	__u64 vma_page_size;
	__u64 vma_offset;
	__u64 inode;
	__u32 dev_major;
	__u32 dev_minor;
	__u32 vma_name_size;
	__u32 build_id_size;
	__u64 vma_name_addr;
	__u64 build_id_addr;
};
#define WW_PROCMAP_QUERY _IOWR('f', 17, struct ww_procmap_query)
#define WW_PROCMAP_VMA_WRITABLE 0x02

/* ioctl() that retries EINTR (and EAGAIN when asked) and returns -errno. */
static long k_ioctl(int fd, unsigned long req, void *arg, bool retry_eagain)
{
	for (;;) {
		long ret = ioctl(fd, req, arg);

		if (ret >= 0)
			return ret;
		if (errno == EINTR || (retry_eagain && errno == EAGAIN))
			continue;
		return -errno;
	}
}

static int k_uffd_syscall(int flags)
{
	long fd = syscall(SYS_userfaultfd, flags);

	return fd < 0 ? -errno : (int)fd;
}

static int k_uffd_device(int flags)
{
	int dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
	int fd;

	if (dev < 0)
		return -errno;
	fd = ioctl(dev, USERFAULTFD_IOC_NEW, flags);
	fd = fd < 0 ? -errno : fd;
	close(dev);
	return fd;
}

int ww_k_uffd_open(bool nonblock, enum ww_uffd_how *how)
{
	int flags = O_CLOEXEC | (nonblock ? O_NONBLOCK : 0);
	int fd;

	fd = k_uffd_syscall(flags);
	if (fd >= 0) {
		*how = WW_UFFD_SYSCALL;
		return fd;
	}
	if (fd != -EPERM)
		return fd;      /* ENOSYS: no userfaultfd in this kernel */
	/*
	 * vm.unprivileged_userfaultfd=0 and no CAP_SYS_PTRACE.  The device node
	 * still gives full (kernel-fault) userfaultfds to whoever may open it;
	 * failing that, user-mode-only ones are always allowed.
	 */
	fd = k_uffd_device(flags);
	if (fd >= 0) {
		*how = WW_UFFD_DEVICE;
		return fd;
	}
	fd = k_uffd_syscall(flags | UFFD_USER_MODE_ONLY);
	if (fd >= 0)
		*how = WW_UFFD_USER_ONLY;
	return fd;
}

int ww_k_uffd_api(int fd, uint64_t features, uint64_t *features_out, uint64_t *ioctls_out)
{
	struct uffdio_api api = { .api = UFFD_API, .features = features };
	long ret = k_ioctl(fd, UFFDIO_API, &api, false);

	if (ret < 0)
		return (int)ret;
	if (features_out)
		*features_out = api.features;
	if (ioctls_out)
		*ioctls_out = api.ioctls;
	return 0;
}

int ww_k_uffd_register(int fd, uintptr_t start, size_t len, uint64_t mode, uint64_t *ioctls_out)
{
	struct uffdio_register reg = {
		.range = { .start = start, .len = len },
		.mode = mode,
	};
	long ret = k_ioctl(fd, UFFDIO_REGISTER, &reg, true);

	if (ret < 0)
		return (int)ret;
	if (ioctls_out)
		*ioctls_out = reg.ioctls;
	return 0;
}

int ww_k_uffd_unregister(int fd, uintptr_t start, size_t len)
{
	struct uffdio_range range = { .start = start, .len = len };

	return (int)k_ioctl(fd, UFFDIO_UNREGISTER, &range, true);
}

int ww_k_uffd_wp(int fd, uintptr_t start, size_t len, bool protect, bool dontwake)
{
	struct uffdio_writeprotect wp = {
		.range = { .start = start, .len = len },
		.mode = (protect ? UFFDIO_WRITEPROTECT_MODE_WP : 0) |
			(dontwake ? UFFDIO_WRITEPROTECT_MODE_DONTWAKE : 0),
	};

	return (int)k_ioctl(fd, UFFDIO_WRITEPROTECT, &wp, true);
}

int ww_k_uffd_wake(int fd, uintptr_t start, size_t len)
{
	struct uffdio_range range = { .start = start, .len = len };

	return (int)k_ioctl(fd, UFFDIO_WAKE, &range, true);
}

ssize_t ww_k_uffd_read(int fd, struct uffd_msg *msgs, size_t n)
{
	for (;;) {
		ssize_t ret = read(fd, msgs, n * sizeof(*msgs));

		if (ret >= 0)
			return ret / (ssize_t)sizeof(*msgs);
		if (errno != EINTR)
			return -errno;
	}
}

static struct {
	pthread_once_t once;
	int err;
	uint64_t features;
	enum ww_uffd_how how;
} uffd_probe = { .once = PTHREAD_ONCE_INIT };

static void uffd_probe_once(void)
{
	int fd = ww_k_uffd_open(true, &uffd_probe.how);

	if (fd < 0) {
		uffd_probe.err = fd;
		return;
	}
	/* Asking for no feature makes the kernel report all it has. */
	uffd_probe.err = ww_k_uffd_api(fd, 0, &uffd_probe.features, NULL);
	close(fd);
}

int ww_k_uffd_features(uint64_t *features, enum ww_uffd_how *how)
{
	pthread_once(&uffd_probe.once, uffd_probe_once);
	if (uffd_probe.err)
		return uffd_probe.err;
	if (features)
		*features = uffd_probe.features;
	if (how)
		*how = uffd_probe.how;
	return 0;
}

int ww_k_uffd_dev_access(void)
{
	int fd = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);

	if (fd >= 0) {
		close(fd);
		return 1;
	}
	return errno == ENOENT ? -1 : 0;
}

int ww_k_pagemap_open(pid_t pid)
{
	char path[64];
	int fd;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/pagemap");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

long ww_k_pagemap_scan(int fd, struct pm_scan_arg *arg)
{
	return k_ioctl(fd, PAGEMAP_SCAN, arg, false);
}

int ww_k_pagemap_scan_probe(uint32_t *categories)
{
	struct page_region vec[1];
	struct pm_scan_arg arg;
	uint32_t ok = 0;
	long page = sysconf(_SC_PAGESIZE);
	void *mem;
	int fd, bit, ret = 0;

	fd = ww_k_pagemap_open(0);
	if (fd < 0)
		return fd;
	mem = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		close(fd);
		return -ENOMEM;
	}
	/* A category bit the kernel does not know is refused with EINVAL. */
	for (bit = 0; bit < 32; bit++) {
		memset(&arg, 0, sizeof(arg));
		arg.size = sizeof(arg);
		arg.start = (uintptr_t)mem;
		arg.end = (uintptr_t)mem + page;
		arg.vec = (uintptr_t)vec;
		arg.vec_len = 1;
		arg.return_mask = 1u << bit;
		long r = ww_k_pagemap_scan(fd, &arg);

		if (r == -ENOTTY || (bit == 0 && r == -EINVAL)) {
			ret = 0;        /* no PAGEMAP_SCAN at all */
			ok = 0;
			break;
		}
		if (r >= 0) {
			ok |= 1u << bit;
			ret = 1;
		}
	}
	munmap(mem, page);
	close(fd);
	if (categories)
		*categories = ok;
	return ret;
}

int ww_k_pagemap_scan_probe_fd(int fd, uint32_t *categories)
{
	struct page_region vec[1];
	struct pm_scan_arg arg;
	uint32_t ok = 0;
	int bit;

	for (bit = 0; bit < 32; bit++) {
		long r;

		memset(&arg, 0, sizeof(arg));
		arg.size = sizeof(arg);
		arg.vec = (uintptr_t)vec;
		arg.vec_len = 1;
		arg.return_mask = 1u << bit;
		r = ww_k_pagemap_scan(fd, &arg);
		if (r == -ENOTTY || (bit == 0 && r == -EINVAL))
			return 0;       /* no PAGEMAP_SCAN at all */
		if (r >= 0)
			ok |= 1u << bit;
		else if (r != -EINVAL)
			return (int)r;
	}
	*categories = ok;
	return 1;
}

int ww_k_mprotect(uintptr_t start, size_t len, int prot)
{
	return mprotect((void *)start, len, prot) ? -errno : 0;
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

int ww_k_populate_write(uintptr_t start, size_t len)
{
	for (;;) {
		if (!madvise((void *)start, len, MADV_POPULATE_WRITE))
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

int ww_k_mapped(uintptr_t start, size_t len)
{
	/* MS_ASYNC is a no-op on mapped memory and fails with ENOMEM on holes. */
	return msync((void *)start, len, MS_ASYNC) ? -errno : 0;
}

/* Before Linux 6.11 (no PROCMAP_QUERY): the VMA's smaps entry. */
static long vma_smaps(pid_t pid, uintptr_t addr, uintptr_t *vma_end, bool *hugetlb)
{
	char path[64], line[512];
	bool inside = false;
	long size = -ENOMEM;
	FILE *f;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/smaps");
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		long kb;

		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			if (inside)
				break;
			inside = addr >= lo && addr < hi;
			if (inside)
				*vma_end = hi;
			continue;
		}
		if (inside && sscanf(line, "KernelPageSize: %ld kB", &kb) == 1)
			size = kb * 1024;
		if (inside && !strncmp(line, "VmFlags:", 8))
			*hugetlb = strstr(line, " ht") != NULL;
	}
	fclose(f);
	return size;
}

/* PROCMAP_QUERY for the VMA covering addr; -ENOMEM if none, -ENOTTY before 6.11. */
static long vma_query(int maps_fd, uintptr_t addr, struct ww_procmap_query *q)
{
	int fd = maps_fd >= 0 ? maps_fd : open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	long ret;

	if (fd < 0)
		return -errno;
	memset(q, 0, sizeof(*q));
	q->size = sizeof(*q);
	q->query_addr = addr;
	ret = k_ioctl(fd, WW_PROCMAP_QUERY, q, false);
	if (fd != maps_fd)
		close(fd);
	if (ret == -ENOENT)
		return -ENOMEM;
	/* ENOSYS: an emulator (qemu-user) or a seccomp filter that lacks the ioctl. */
	if (ret == -EINVAL || ret == -ENOSYS)
		return -ENOTTY;
	return ret;
}

long ww_k_vma_page_size(pid_t pid, int maps_fd, uintptr_t addr, uintptr_t *vma_end,
			bool *hugetlb)
{
	struct ww_procmap_query q;
	long ret;

	*hugetlb = false;
	ret = vma_query(maps_fd, addr, &q);
	if (ret == -ENOTTY)
		return vma_smaps(pid, addr, vma_end, hugetlb);
	if (ret < 0)
		return ret;
	*vma_end = q.vma_end;
	/* Only hugetlb VMAs report a page size above the base page. */
	*hugetlb = q.vma_page_size > ww_page_size();
	return (long)q.vma_page_size;
}

int ww_k_maps_open(pid_t pid)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int ww_k_maps_alive(int maps_fd)
{
	struct ww_procmap_query q;
	char c;
	long ret = vma_query(maps_fd, 0, &q);

	if (ret != -ENOTTY)
		return ret == -ESRCH ? -ESRCH : 0;
	/* Before 6.11: a read of a dead address space's maps ends at once. */
	ret = pread(maps_fd, &c, 1, 0);
	return ret == 1 ? 0 : -ESRCH;
}

int ww_k_mapped_in(int maps_fd, uintptr_t start, size_t len)
{
	struct ww_procmap_query q;
	uintptr_t at = start, end = start + len;

	while (at < end) {
		long ret = vma_query(maps_fd, at, &q);

		if (ret == -ENOTTY)
			return ww_k_maps_alive(maps_fd);  /* no per-address answer: alive is all */
		if (ret < 0)
			return (int)ret;
		at = q.vma_end;
	}
	return 0;
}

int ww_k_writable_in(int maps_fd, uintptr_t start, size_t len)
{
	struct ww_procmap_query q;
	uintptr_t at = start, end = start + len;

	while (at < end) {
		long ret = vma_query(maps_fd, at, &q);

		if (ret < 0)
			return (int)ret;
		if (!(q.vma_flags & WW_PROCMAP_VMA_WRITABLE))
			return 0;
		at = q.vma_end;
	}
	return 1;
}

int ww_k_release(char *buf, size_t len, int *major, int *minor)
{
	struct utsname u;

	if (uname(&u))
		return -errno;
	snprintf(buf, len, "%s", u.release);
	if (sscanf(u.release, "%d.%d", major, minor) != 2)
		*major = *minor = 0;
	return 0;
}
