/* SPDX-License-Identifier: MIT */
/*
 * A snapshot's access to the memory of its range: this process's directly;
 * another process's (a tracker from ww_open_pid) through process_vm_readv
 * and process_vm_writev while it is held stopped.  Another process's pages
 * cannot be dropped from here (MADV_DONTNEED acts on the caller), so a hole
 * to restore there is written with zeros: same content, but it stays
 * populated.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"
#include "kernel.h"
#include "kernel_ptrace.h"
#include "snapshot.h"

#define ZERO_CHUNK 65536

int ww_snap_read(const struct ww_snapshot *s, uintptr_t addr, void *buf, size_t len)
{
	if (!s->pid) {
		memcpy(buf, (void *)addr, len);
		return 0;
	}
	while (len) {
		ssize_t n = ww_kp_read_mem(s->pid, addr, buf, len);

		if (n < 0)
			return (int)n;
		if (n == 0)
			return -EFAULT;
		addr += (size_t)n;
		buf = (char *)buf + n;
		len -= (size_t)n;
	}
	return 0;
}

int ww_snap_write(const struct ww_snapshot *s, uintptr_t addr, const void *buf, size_t len)
{
	if (!s->pid) {
		memcpy((void *)addr, buf, len);
		return 0;
	}
	while (len) {
		ssize_t n = ww_kp_write_mem(s->pid, addr, buf, len);

		if (n < 0)
			return (int)n;
		if (n == 0)
			return -EFAULT;
		addr += (size_t)n;
		buf = (const char *)buf + n;
		len -= (size_t)n;
	}
	return 0;
}

int ww_snap_hole(const struct ww_snapshot *s, uintptr_t addr, size_t len)
{
	static const char zeros[ZERO_CHUNK];

	if (!s->pid)
		return ww_k_dontneed(addr, len);
	while (len) {
		size_t n = len < ZERO_CHUNK ? len : ZERO_CHUNK;
		int ret = ww_snap_write(s, addr, zeros, n);

		if (ret)
			return ret;
		addr += n;
		len -= n;
	}
	return 0;
}
