// Linux thread calls Swift's Glibc module does not import (gettid, sched_setaffinity and
// sched_getaffinity need _GNU_SOURCE), made through syscall(2) so that they do not depend on how
// the C library's headers were configured. Only the cluster's CPU packing uses this module.
#ifndef RAFTTOP_CTHREADS_SHIM_H
#define RAFTTOP_CTHREADS_SHIM_H

#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/// The kernel's id of the calling thread.
static inline int rt_gettid(void) { return (int)syscall(SYS_gettid); }

/// Lets thread `tid` (0: the caller) run only on the CPUs set in `mask`; 0, or -1 with errno.
static inline int rt_set_thread_cpus(int tid, const unsigned long *mask, size_t bytes) {
    return (int)syscall(SYS_sched_setaffinity, tid, bytes, mask);
}

/// Fills `mask` with the CPUs thread `tid` (0: the caller) may run on; the bytes written, or -1
/// with errno.
static inline int rt_get_thread_cpus(int tid, unsigned long *mask, size_t bytes) {
    return (int)syscall(SYS_sched_getaffinity, tid, bytes, mask);
}

/// Names the calling thread as ps, top and htop show it (at most 15 bytes are kept).
static inline int rt_set_thread_name(const char *name) { return prctl(PR_SET_NAME, name, 0, 0, 0); }

#endif
