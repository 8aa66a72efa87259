/// Who writes a connection's queued frames: one task at a time, so that they go out in order — the connection's
/// writer task, or a task that has just queued a frame and writes it itself instead of waking the writer task (a
/// thread wake-up less per message: issue 9, B3).
///
/// Each connection opens the slot with its write function and closes it when it ends; a writer that holds an older
/// connection's generation stops at its next frame.
struct WriterSlot<Frame>: Sendable {
    typealias Write = @Sendable (Frame) async throws -> Void

    private(set) var generation = 0
    private var busy = false
    private var write: Write?

    /// A connection's writer became active; returns its generation.
    mutating func open(_ write: @escaping Write) -> Int {
        self.generation += 1
        self.busy = false
        self.write = write
        return self.generation
    }

    /// The connection ended.
    mutating func close() {
        self.generation += 1
        self.busy = false
        self.write = nil
    }

    /// Claims the slot for connection `generation` (`nil`: the open one); `nil` when no connection is open, another
    /// generation is, or another task is writing (it writes the frames queued meanwhile too).
    mutating func claim(_ generation: Int?) -> (write: Write, generation: Int)? {
        guard let write = self.write, !self.busy, generation == nil || generation == self.generation else {
            return nil
        }
        self.busy = true
        return (write, self.generation)
    }

    /// The writer of `generation` stops writing.
    mutating func release(_ generation: Int) {
        if generation == self.generation { self.busy = false }
    }
}
