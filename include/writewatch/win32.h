/* SPDX-License-Identifier: MIT */
/*
 * writewatch Win32 layer: VirtualAlloc / VirtualFree / VirtualProtect /
 * GetWriteWatch / ResetWriteWatch with Windows semantics, on any writewatch
 * backend.  See writewatch_win32(3).
 *
 * The library exports these calls as ww_win32_<Name> (every exported
 * symbol of libwritewatch starts with ww_).  Unless WW_WIN32_NO_NAMES is
 * defined before this header is included, the Windows names are macros for
 * them, so code written against the Windows API compiles unchanged.
 *
 * Types have their Windows (LLP64) widths: DWORD, UINT and ULONG are 32 bits,
 * ULONG_PTR and SIZE_T are pointer-sized.  When a windows.h-like header was
 * included first (_WINDEF_ defined), its types and constants are used.
 */
#ifndef WRITEWATCH_WIN32_H
#define WRITEWATCH_WIN32_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef _WINDEF_
typedef uint32_t DWORD;
typedef uint32_t UINT;
typedef uint32_t ULONG;                 /* LLP64: 32 bits even on 64-bit Linux */
typedef int32_t BOOL;
typedef uintptr_t ULONG_PTR;
typedef size_t SIZE_T;
typedef void *PVOID;
typedef void *LPVOID;
typedef DWORD *PDWORD;
typedef ULONG *PULONG;
typedef ULONG_PTR *PULONG_PTR;
#endif

#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif

/* VirtualAlloc / VirtualFree allocation types (Windows values) */
#ifndef MEM_COMMIT
#define MEM_COMMIT              0x00001000
#define MEM_RESERVE             0x00002000
#define MEM_DECOMMIT            0x00004000
#define MEM_RELEASE             0x00008000
#define MEM_TOP_DOWN            0x00100000
#define MEM_WRITE_WATCH         0x00200000
#endif

/* Page protections (Windows values) */
#ifndef PAGE_NOACCESS
#define PAGE_NOACCESS           0x01
#define PAGE_READONLY           0x02
#define PAGE_READWRITE          0x04
#define PAGE_WRITECOPY          0x08
#define PAGE_EXECUTE            0x10
#define PAGE_EXECUTE_READ       0x20
#define PAGE_EXECUTE_READWRITE  0x40
#define PAGE_EXECUTE_WRITECOPY  0x80
#define PAGE_GUARD              0x100
#define PAGE_NOCACHE            0x200
#define PAGE_WRITECOMBINE       0x400
#endif

#ifndef WRITE_WATCH_FLAG_RESET
#define WRITE_WATCH_FLAG_RESET  0x01
#endif

/* GetLastError() values (Windows values) */
#ifndef ERROR_SUCCESS
#define ERROR_SUCCESS           0L
#endif
#ifndef ERROR_NOT_ENOUGH_MEMORY
#define ERROR_NOT_ENOUGH_MEMORY 8L
#endif
#ifndef ERROR_GEN_FAILURE
#define ERROR_GEN_FAILURE       31L
#endif
#ifndef ERROR_NOT_SUPPORTED
#define ERROR_NOT_SUPPORTED     50L
#endif
#ifndef ERROR_INVALID_PARAMETER
#define ERROR_INVALID_PARAMETER 87L
#endif
#ifndef ERROR_INVALID_ADDRESS
#define ERROR_INVALID_ADDRESS   487L
#endif
#ifndef ERROR_NOACCESS
#define ERROR_NOACCESS          998L
#endif

/*
 * Reserve and/or commit pages.  MEM_WRITE_WATCH (only together with
 * MEM_RESERVE) makes the whole allocation write-watched.  Returns the base
 * (reservations are aligned to 64 KiB, as on Windows), or NULL with the
 * reason in GetLastError().
 */
LPVOID ww_win32_VirtualAlloc(LPVOID addr, SIZE_T size, DWORD type, DWORD protect);
/*
 * MEM_DECOMMIT a range of one allocation, or MEM_RELEASE (size 0) a whole
 * allocation.  As on Windows, a decommit forgets the writes to its pages,
 * except those a later VirtualProtect (or MEM_COMMIT of committed pages)
 * copied: those stay reported until reset.
 */
BOOL ww_win32_VirtualFree(LPVOID addr, SIZE_T size, DWORD type);
/*
 * Change the protection of committed pages; *oldprot gets the first page's
 * old protection.  What GetWriteWatch reports does not change.
 */
BOOL ww_win32_VirtualProtect(LPVOID addr, SIZE_T size, DWORD newprot, PDWORD oldprot);
/*
 * Pages of [base, base+size) written since the allocation or the last reset,
 * ascending, into addresses[0 .. *count); *count is the capacity in, the
 * number returned out; *granularity gets the page size.  With
 * WRITE_WATCH_FLAG_RESET exactly the returned pages are reset.  Returns 0,
 * or (UINT)-1 with the reason in GetLastError().
 */
UINT ww_win32_GetWriteWatch(DWORD flags, PVOID base, SIZE_T size, PVOID *addresses,
			    ULONG_PTR *count, ULONG *granularity);
/* Reset every page of [base, base+size).  Returns 0, or (UINT)-1. */
UINT ww_win32_ResetWriteWatch(LPVOID base, SIZE_T size);
/* The calling thread's last error (thread-local, as on Windows). */
DWORD ww_win32_GetLastError(void);
void ww_win32_SetLastError(DWORD err);

/*
 * Extensions (no Windows counterpart, so no Windows name):
 *
 * ww_win32_prepare_io: call before the kernel writes into a buffer of
 * write-watched memory (read(2), recv(2), ...).  Like Windows' ReadFile into
 * a write-watched buffer, it reports every page of the buffer as written.
 * It is required on the mprotect backend and on uffd-sync with a
 * user-mode-only userfaultfd (without it such a system call fails with
 * EFAULT), optional on the others; a reset of the buffer undoes it, also
 * under a read(2) already waiting, so call it again after every reset.
 * Pages outside write-watched allocations are left alone.  FALSE with
 * ERROR_NOACCESS when a watched page of the buffer is not committed and
 * writable.
 *
 * ww_win32_backend: name of the backend behind write watches ("uffd-async",
 * "uffd-sync", "mprotect"), or NULL before the first MEM_WRITE_WATCH
 * allocation opened it.
 */
BOOL ww_win32_prepare_io(LPVOID base, SIZE_T size);
const char *ww_win32_backend(void);

#ifndef WW_WIN32_NO_NAMES
#define VirtualAlloc    ww_win32_VirtualAlloc
#define VirtualFree     ww_win32_VirtualFree
#define VirtualProtect  ww_win32_VirtualProtect
#define GetWriteWatch   ww_win32_GetWriteWatch
#define ResetWriteWatch ww_win32_ResetWriteWatch
#define GetLastError    ww_win32_GetLastError
#define SetLastError    ww_win32_SetLastError
#endif

#ifdef __cplusplus
}
#endif
#endif /* WRITEWATCH_WIN32_H */
