#include "CGlibcMalloc.h"

#include <stdlib.h>  // defines __GLIBC__ on glibc

#if defined(__GLIBC__)
#include <malloc.h>

bool c_glibc_malloc_statistics(size_t *in_use, size_t *free_bytes) {
#if __GLIBC_PREREQ(2, 33)
    struct mallinfo2 info = mallinfo2();
#else
    struct mallinfo info = mallinfo();  // int fields: wrong beyond 2 GiB, the best older glibc offers
#endif
    *in_use = (size_t)info.uordblks + (size_t)info.hblkhd;
    *free_bytes = (size_t)info.fordblks;
    return true;
}

bool c_glibc_malloc_trim(void) {
    return malloc_trim(0) != 0;
}

#else

bool c_glibc_malloc_statistics(size_t *in_use, size_t *free_bytes) {
    (void)in_use;
    (void)free_bytes;
    return false;
}

bool c_glibc_malloc_trim(void) {
    return false;
}

#endif
