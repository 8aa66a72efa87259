import CGlibcMalloc
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What the C allocator holds right now, from glibc's `mallinfo2()`: the bytes of live allocations and the freed
/// bytes it keeps for reuse instead of giving them back to the kernel. The difference between the process's resident
/// memory and `inUse` is what ``MemoryReclaimer`` can return (issue 9, B5).
///
/// `mallinfo2()` walks every arena's free lists under the arena's lock: cheap at this server's heap sizes (well under
/// a millisecond), but not something to call per request. It is read when `/metrics` is rendered and by the
/// reclaimer.
struct HeapStatistics: Sendable, Equatable {
    /// Bytes in allocated chunks: the arenas' (`uordblks`) plus those mapped directly (`hblkhd`, large blocks).
    var inUse: Int
    /// Freed bytes the arenas hold for reuse (`fordblks`); some of it may be resident, some already returned.
    var free: Int

    /// The allocator's numbers now, or `nil` where the C library is not glibc.
    static func current() -> HeapStatistics? {
        var inUse = 0
        var free = 0
        guard c_glibc_malloc_statistics(&inUse, &free) else { return nil }
        return HeapStatistics(inUse: inUse, free: free)
    }

    /// The process's resident memory in bytes (`/proc/self/statm`), or `nil` where there is no such file.
    static func residentBytes() -> Int? {
        #if canImport(Glibc)
        // "size resident shared text lib data dt", in pages.
        guard let file = FileHandle(forReadingAtPath: "/proc/self/statm") else { return nil }
        defer { try? file.close() }
        let fields = String(decoding: file.readDataToEndOfFile(), as: UTF8.self).split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
        #else
        return nil
        #endif
    }
}
