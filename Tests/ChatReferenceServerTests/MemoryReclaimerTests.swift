import ArgumentParser
import Logging
import ServiceLifecycle
import Testing

@testable import ChatReferenceServer

extension ProcessMemoryTests {
    @Suite("Memory reclaimer", .serialized, .timeLimit(.minutes(1)))
    struct MemoryReclaimerTests {
        private static let mib = 1 << 20
        private static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

        @Test("The policy trims once the free bytes reach the threshold, then only after unexplained resident growth")
        func policy() {
            var policy = ReclaimPolicy(threshold: 8 * Self.mib)
            let start = ReclaimPolicy.Sample(inUse: 40 * Self.mib, free: 7 * Self.mib, resident: 60 * Self.mib)
            #expect(!policy.shouldTrim(start))
            var fragmented = start
            fragmented.free = 30 * Self.mib
            #expect(policy.shouldTrim(fragmented))
            var trimmed = fragmented
            trimmed.resident = 45 * Self.mib
            policy.trimmed(trimmed)
            // The free bytes stay free after a trim: without new resident growth there is nothing more to give back.
            #expect(!policy.shouldTrim(trimmed))
            // Resident growth that the live heap explains (new live data) is not reclaimable.
            var grown = trimmed
            grown.inUse += 50 * Self.mib
            grown.resident += 50 * Self.mib
            #expect(!policy.shouldTrim(grown))
            // Freed memory reused and freed again (resident again, not live): trim.
            var churned = grown
            churned.resident += 9 * Self.mib
            #expect(policy.shouldTrim(churned))
            // Live data freed without the resident size going down: trim.
            var shrunk = grown
            shrunk.inUse -= 20 * Self.mib
            #expect(policy.shouldTrim(shrunk))
        }

        @Test("The heap is read on the first check, every 30th while the resident size is steady, at once on a change")
        func walkSchedule() {
            var schedule = HeapWalkSchedule(threshold: 8 * Self.mib)
            let resident = 100 * Self.mib
            let first = schedule.shouldWalk(resident: resident)
            #expect(first)
            let steady = (1...60).map { index in schedule.shouldWalk(resident: resident + index * 1024) }
            #expect(steady.indices.filter { steady[$0] } == [29, 59])  // the 30th and the 60th check
            // A change of a quarter of the threshold or more walks at once.
            let changes = [1, 3, 3, 0].map { schedule.shouldWalk(resident: resident + $0 * Self.mib) }
            #expect(changes == [false, true, false, true])
        }

        @Test("One pass gives freed heap memory back to the kernel and counts the trim")
        func reclaimReleasesFreedMemory() throws {
            // Needs glibc; elsewhere there are no statistics and the reclaimer does nothing.
            guard HeapStatistics.current() != nil, HeapStatistics.residentBytes() != nil else { return }
            let metrics = ServerMetrics()
            let reclaimer = MemoryReclaimer(
                interval: .seconds(10),
                threshold: 16 * Self.mib,
                metrics: metrics,
                logger: Self.logger
            )
            // 64 MiB in small chunks (below the mmap threshold: they come from an arena), every page touched, then
            // freed except the last one, which pins the arena's top, so free() cannot trim them on its own.
            let chunk = 4096
            var chunks = (0..<(64 * Self.mib / chunk + 1)).map { _ in
                let pointer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 16)
                pointer.initializeMemory(as: UInt8.self, repeating: 0xA5, count: chunk)
                return pointer
            }
            let pin = chunks.removeLast()
            defer { pin.deallocate() }
            for pointer in chunks { pointer.deallocate() }
            let before = try #require(HeapStatistics.current())
            #expect(before.free >= 60 * Self.mib)

            let released = try #require(reclaimer.reclaim())
            #expect(released >= 32 * Self.mib)
            let text = String(decoding: metrics.render(), as: UTF8.self)
            #expect(text.contains("\nmalloc_trims_total 1\n"))
            #expect(text.contains("\nmalloc_trim_released_bytes_total \(released)\n"))
        }

        @Test("The reclaimer ends on graceful shutdown without waiting for its next check")
        func stopsOnShutdown() async throws {
            let reclaimer = MemoryReclaimer(
                interval: .seconds(3600),
                threshold: 8 * Self.mib,
                metrics: ServerMetrics(),
                logger: Self.logger
            )
            let group = ServiceGroup(configuration: .init(services: [reclaimer], logger: Self.logger))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                await group.triggerGracefulShutdown()
                // Returns at once; a reclaimer that slept through the shutdown would hit the suite's time limit.
                try await tasks.waitForAll()
            }
        }

        @Test("--memory-reclaim-interval 0 turns the reclaimer off; the threshold is configurable")
        func configuration() throws {
            let defaults = try ChatServerCommand.parse([]).serverConfiguration(environment: [:])
            #expect(defaults.memoryReclaimInterval == .seconds(10))
            #expect(defaults.memoryReclaimThreshold == 8 << 20)
            let off = try ChatServerCommand.parse(["--memory-reclaim-interval", "0"])
                .serverConfiguration(environment: [:])
            #expect(off.memoryReclaimInterval == nil)
            let tuned = try ChatServerCommand.parse([]).serverConfiguration(environment: [
                "CHAT_MEMORY_RECLAIM_INTERVAL": "30", "CHAT_MEMORY_RECLAIM_THRESHOLD": "1048576",
            ])
            #expect(tuned.memoryReclaimInterval == .seconds(30))
            #expect(tuned.memoryReclaimThreshold == 1 << 20)
            #expect(throws: (any Error).self) {
                try ChatServerCommand.parse(["--memory-reclaim-interval", "-1"]).serverConfiguration(environment: [:])
            }
        }
    }
}
