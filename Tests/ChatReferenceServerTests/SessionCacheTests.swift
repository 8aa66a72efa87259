import ChatProtocol
import Testing

@testable import ChatReferenceServer

/// The session cache serves an entry only within its window, forgets it on logout, and stays bounded.
@Suite("Session cache")
struct SessionCacheTests {
    @Test("the window is the storage's refresh granularity: a tenth of the idle timeout, at most a minute")
    func window() {
        #expect(SessionCache.window(idleTimeout: .seconds(30 * 86_400)) == .seconds(60))
        #expect(SessionCache.window(idleTimeout: .seconds(100)) == .seconds(10))
    }

    @Test("an entry is served within its window and not after it")
    func expiry() {
        let cache = SessionCache(window: .seconds(10))
        let start = ContinuousClock.now
        cache.store("s", user: UserID(7), userExists: true, generation: cache.generation, now: start)
        #expect(cache.entry("s", now: start + .seconds(9))?.user == UserID(7))
        #expect(cache.entry("s", now: start + .seconds(10)) == nil)
        #expect(cache.entry("s", now: start + .seconds(1)) == nil)  // dropped once expired
    }

    @Test("logout forgets the entry, and a lookup that began before it cannot cache it again")
    func removal() {
        let cache = SessionCache(window: .seconds(10))
        cache.store("s", user: UserID(7), userExists: true, generation: cache.generation)
        let before = cache.generation
        cache.remove("s")
        #expect(cache.entry("s") == nil)
        cache.store("s", user: UserID(7), userExists: false, generation: before)
        #expect(cache.entry("s") == nil)
        cache.store("s", user: UserID(7), userExists: false, generation: cache.generation)
        #expect(cache.entry("s")?.userExists == false)
        cache.markUserExists("s", user: UserID(7))
        #expect(cache.entry("s")?.userExists == true)
    }

    @Test("a zero window caches nothing")
    func zeroWindow() {
        let cache = SessionCache(window: .zero)
        cache.store("s", user: UserID(7), userExists: true, generation: cache.generation)
        #expect(cache.entry("s") == nil)
    }

    @Test("a full cache drops its expired entries first, and everything when none expired")
    func bounded() {
        let cache = SessionCache(window: .seconds(10), maxEntries: 2)
        let start = ContinuousClock.now
        cache.store("old", user: UserID(1), userExists: true, generation: cache.generation, now: start - .seconds(20))
        cache.store("a", user: UserID(2), userExists: true, generation: cache.generation, now: start)
        cache.store("b", user: UserID(3), userExists: true, generation: cache.generation, now: start)
        #expect(cache.entry("a", now: start) != nil && cache.entry("b", now: start) != nil)
        cache.store("c", user: UserID(4), userExists: true, generation: cache.generation, now: start)
        #expect(cache.entry("a", now: start) == nil && cache.entry("c", now: start)?.user == UserID(4))
    }
}
