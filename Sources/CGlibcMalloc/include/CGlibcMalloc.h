#ifndef C_GLIBC_MALLOC_H
#define C_GLIBC_MALLOC_H

#include <stdbool.h>
#include <stddef.h>

// glibc's malloc.h is not part of Swift's Glibc module: these wrap the two calls the reference server's
// MemoryReclaimer and its malloc_* metrics need. Elsewhere (macOS, musl) they report "not available".

/// Bytes of live allocations (arenas' uordblks + mmapped hblkhd) and freed bytes the arenas hold (fordblks), from
/// mallinfo2() (mallinfo() before glibc 2.33). Returns false, leaving both untouched, where the C library is not glibc.
bool c_glibc_malloc_statistics(size_t *in_use, size_t *free_bytes);

/// malloc_trim(0): returns every whole free page of every arena to the kernel. Returns whether memory was released;
/// false where the C library is not glibc.
bool c_glibc_malloc_trim(void);

#endif
