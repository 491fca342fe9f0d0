/* SPDX-License-Identifier: MIT */
/*
 * Kernel interface: the only code in writewatch that calls ioctl() or
 * syscall().  Every function returns >= 0 or -errno and leaves errno alone
 * as far as the caller is concerned.
 */
#ifndef WW_KERNEL_H
#define WW_KERNEL_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

#include "uapi.h"

/* How a userfaultfd was obtained, best first. */
enum ww_uffd_how {
	WW_UFFD_SYSCALL = 0,            /* userfaultfd(2), kernel faults included */
	WW_UFFD_DEVICE,                 /* /dev/userfaultfd, kernel faults included */
	WW_UFFD_USER_ONLY,              /* userfaultfd(UFFD_USER_MODE_ONLY) */
};

/*
 * Open a userfaultfd (O_CLOEXEC | O_NONBLOCK when nonblock).  Tries the
 * syscall, then /dev/userfaultfd, then UFFD_USER_MODE_ONLY.  Returns the fd.
 */
int ww_k_uffd_open(bool nonblock, enum ww_uffd_how *how);
/* UFFDIO_API with the wanted features; *features_out gets what the kernel reports. */
int ww_k_uffd_api(int fd, uint64_t features, uint64_t *features_out, uint64_t *ioctls_out);
/* UFFDIO_REGISTER with mode (UFFDIO_REGISTER_MODE_*); *ioctls_out may be NULL. */
int ww_k_uffd_register(int fd, uintptr_t start, size_t len, uint64_t mode, uint64_t *ioctls_out);
int ww_k_uffd_unregister(int fd, uintptr_t start, size_t len);
/* UFFDIO_WRITEPROTECT: protect or unprotect; dontwake only with !protect. */
int ww_k_uffd_wp(int fd, uintptr_t start, size_t len, bool protect, bool dontwake);
int ww_k_uffd_wake(int fd, uintptr_t start, size_t len);
/* Read up to n fault messages; -EAGAIN when none is pending on a nonblocking fd. */
ssize_t ww_k_uffd_read(int fd, struct uffd_msg *msgs, size_t n);
/* Features the running kernel offers (probes a throwaway fd once, then cached). */
int ww_k_uffd_features(uint64_t *features, enum ww_uffd_how *how);
/* 1 if /dev/userfaultfd opens read-write for this caller, 0 if refused, -1 if absent. */
int ww_k_uffd_dev_access(void);

/* Open /proc/<pid>/pagemap (pid 0: self) read-only. */
int ww_k_pagemap_open(pid_t pid);
/* PAGEMAP_SCAN; returns the number of regions written. */
long ww_k_pagemap_scan(int fd, struct pm_scan_arg *arg);
/* 1 if the kernel has PAGEMAP_SCAN, 0 if not; *categories gets the accepted bits. */
int ww_k_pagemap_scan_probe(uint32_t *categories);
/*
 * The same on an open pagemap fd of any process, with an empty range (the
 * kernel checks the masks before it walks): 1, 0 or -errno.
 */
int ww_k_pagemap_scan_probe_fd(int fd, uint32_t *categories);

int ww_k_mprotect(uintptr_t start, size_t len, int prot);
/* Fault [start, start+len) in for writing without changing its contents (Linux >= 5.14). */
int ww_k_populate_write(uintptr_t start, size_t len);
/* 0 if all of [start, start+len) is mapped, -ENOMEM if any of it is not. */
int ww_k_mapped(uintptr_t start, size_t len);
/*
 * Page size of the VMA holding addr (in process pid through its maps_fd;
 * pid 0 and maps_fd -1: this process), the hugetlb size on hugetlb mappings,
 * and where that VMA ends; -ENOMEM if addr is unmapped.
 */
long ww_k_vma_page_size(pid_t pid, int maps_fd, uintptr_t addr, uintptr_t *vma_end,
			bool *hugetlb);

/*
 * Another process's address space through its /proc/<pid>/maps, held open:
 * the descriptor keeps referring to the address space it was opened on, so
 * an exit or an exec of the process shows as -ESRCH.
 */
int ww_k_maps_open(pid_t pid);
/* 0 while the address space behind maps_fd is alive, -ESRCH once it is gone. */
int ww_k_maps_alive(int maps_fd);
/* ww_k_mapped() for that address space: 0, -ENOMEM for a hole, -ESRCH. */
int ww_k_mapped_in(int maps_fd, uintptr_t start, size_t len);
/*
 * 1 if every VMA of [start, start+len) is writable, 0 if one is not, -ENOMEM
 * for a hole; -ENOTTY without PROCMAP_QUERY (Linux < 6.11).  maps_fd -1:
 * this process (opened for the call).
 */
int ww_k_writable_in(int maps_fd, uintptr_t start, size_t len);

/* ---- kernel_mem.c ---- */

/*
 * Runs of [start, end) whose page-table entries hold something (categories
 * PAGE_IS_PRESENT and/or PAGE_IS_SWAPPED, with PAGE_IS_PFNZERO on the zero
 * page; a uffd-wp marker on a hole and a migration entry read as SWAPPED
 * too) into out[0..max).  The per-page fallback never reports PFNZERO.  PAGEMAP_SCAN on
 * the pagemap fd, else its per-page entries.  *walk_end: where it stopped.
 */
long ww_k_populated(int fd, uintptr_t start, uintptr_t end, struct page_region *out,
		    size_t max, uintptr_t *walk_end);
/* mincore(2): one byte a base page, bit 0 set when resident. */
int ww_k_mincore(uintptr_t start, size_t len, unsigned char *vec);
int ww_k_dontneed(uintptr_t start, size_t len);
/*
 * Bytes one page-table page maps (2 MiB with 4 KiB pages): a MADV_DONTNEED
 * of a whole such block lets the kernel free the table (CONFIG_PT_RECLAIM).
 */
size_t ww_k_pt_span(void);
/*
 * 1 if PAGEMAP_SCAN reads a page-table hole of a uffd-wp VMA (a whole
 * ww_k_pt_span() block without a page table) as written, 0 if it skips it
 * (and PM_SCAN_WP_MATCHING leaves it unprotected), -errno if no trial could
 * run (no userfaultfd, pagemap refused).  Tried once on a throwaway mapping,
 * then cached.
 */
int ww_k_pmd_hole_written(void);
/* 0 when no swap is configured (SwapTotal 0), 1 when some is or it is unknown. */
int ww_k_swap_active(void);
/* Physical memory in bytes. */
long ww_k_phys_bytes(void);

/* uname -r into buf; "major.minor" as numbers. */
int ww_k_release(char *buf, size_t len, int *major, int *minor);

#endif /* WW_KERNEL_H */
