/* SPDX-License-Identifier: MIT */
/*
 * The library's one reader of /proc/PID/maps and /proc/PID/smaps: the
 * VMAs over an address range, with their protection, backing and (from
 * smaps, on request) VM_MAYWRITE, hugetlb and page size.
 *
 * ww_vmas_each() is async-signal-safe: it uses open/read/close and buffers
 * on the stack only, so the mprotect SIGSEGV handler may call it.
 * ww_vmas_get() allocates and is for normal context.
 */
#ifndef WW_PROCMAPS_H
#define WW_PROCMAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ww_vma {
	uintptr_t start;
	uintptr_t end;
	int prot;               /* PROT_READ | PROT_WRITE | PROT_EXEC */
	bool shared;            /* MAP_SHARED ('s'), else private */
	uint64_t offset;        /* file offset of start (0 for anonymous memory) */
	unsigned dev_major;
	unsigned dev_minor;
	uint64_t inode;         /* 0 for anonymous private memory */
	const char *name;       /* path or [heap]/[stack]/..., "" for none (always "" with
				 * WW_VMAS_SMAPS); points into the walk's line buffer,
				 * valid during the callback only */
	/* Only with WW_VMAS_SMAPS (else false, false, 0): */
	bool maywrite;          /* VM_MAYWRITE: mprotect(PROT_WRITE) is allowed */
	bool hugetlb;
	bool hugepage;          /* VM_HUGEPAGE (MADV_HUGEPAGE) */
	bool nohugepage;        /* VM_NOHUGEPAGE (MADV_NOHUGEPAGE) */
	size_t pagesize;        /* KernelPageSize */
};

/* Read /proc/self/smaps (slower: the kernel walks page tables) for the smaps-only fields. */
#define WW_VMAS_SMAPS 1u

/* Return nonzero to stop the walk; ww_vmas_each() returns that value. */
typedef int (*ww_vma_fn)(const struct ww_vma *vma, void *arg);

/*
 * Call fn for every VMA overlapping [a, b), ascending.  Returns 0, fn's
 * first nonzero result, or -errno if /proc could not be read.
 * Async-signal-safe.
 */
int ww_vmas_each(uintptr_t a, uintptr_t b, unsigned flags, ww_vma_fn fn, void *arg);

/*
 * The same walk over /proc/<pid>/maps or smaps (pid 0: self), reading lines
 * into line[0..cap) (a longer line keeps its head: names are cut there).
 */
int ww_vmas_each_in(int pid, char *line, size_t cap, uintptr_t a, uintptr_t b, unsigned flags,
		    ww_vma_fn fn, void *arg);

/*
 * 0 if every VMA of this process overlapping [start, end) is writable,
 * -EACCES if one is not, -ENOMEM if part of it is a hole (not for the text
 * walk, which sees only what is mapped), else -errno.  maps_fd: an open
 * /proc/self/maps, or -1.
 */
int ww_writable(int maps_fd, uintptr_t start, uintptr_t end);

/* The VMAs overlapping [a, b) in a malloc'd array (free() it); *n may be 0. */
int ww_vmas_get(uintptr_t a, uintptr_t b, unsigned flags, struct ww_vma **out, size_t *n);

/*
 * The same memory object at addr in both (same device, inode, sharing and
 * file offset there): how a VMA is told apart from one mapped in its place.
 * Anonymous private memory has no identity beyond that it is anonymous.
 */
static inline bool ww_vma_has_file(const struct ww_vma *v)
{
	return v->inode || v->dev_major || v->dev_minor;
}

static inline bool ww_vma_same_backing(const struct ww_vma *x, const struct ww_vma *y,
				       uintptr_t addr)
{
	if (x->shared != y->shared || x->dev_major != y->dev_major ||
	    x->dev_minor != y->dev_minor || x->inode != y->inode)
		return false;
	/* The kernel shows offset 0 for memory without a file: nothing to compare. */
	return !ww_vma_has_file(x) ||
	       x->offset + (addr - x->start) == y->offset + (addr - y->start);
}

#endif /* WW_PROCMAPS_H */
