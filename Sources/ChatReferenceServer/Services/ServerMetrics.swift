import Prometheus

/// The server's Prometheus metrics, on a registry of its own (no global bootstrap, so tests can run several
/// servers in one process).
struct ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let chatConnections: Gauge
    let matchConnections: Gauge
    let messagesStored: Counter
    let messagesRejected: Counter
    let framesRejected: Counter
    let matches: Counter
    let slowConsumerCloses: Counter
    let accountsDeleted: Counter
    let httpDuration: DurationHistogram
    /// glibc's heap (``HeapStatistics``), read when the metrics are rendered.
    let mallocInUse: Gauge
    let mallocFree: Gauge
    /// ``MemoryReclaimer``'s `malloc_trim` calls and the resident bytes they released.
    let mallocTrims: Counter
    let mallocTrimReleased: Counter

    init() {
        self.chatConnections = self.registry.makeGauge(
            descriptor: Self.name("chat_websocket_connections", "Open chat websockets")
        )
        self.matchConnections = self.registry.makeGauge(
            descriptor: Self.name("chat_match_connections", "Open match websockets")
        )
        self.messagesStored = self.registry.makeCounter(descriptor: Self.name("chat_messages_total", "Messages stored"))
        self.messagesRejected = self.registry.makeCounter(
            descriptor: Self.name(
                "chat_messages_rejected_total",
                "Text/file messages refused because the channel is full"
            ),
            labels: [("reason", "cap")]
        )
        self.framesRejected = self.registry.makeCounter(
            descriptor: Self.name(
                "chat_frames_rejected_total",
                "Inbound chat frames dropped (malformed, forged identity, unknown event)"
            )
        )
        self.matches = self.registry.makeCounter(descriptor: Self.name("chat_matches_total", "Pairs matched"))
        self.slowConsumerCloses = self.registry.makeCounter(
            descriptor: Self.name(
                "chat_slow_consumer_closes_total",
                "Websockets closed with 4001 because their send queue overflowed"
            )
        )
        self.accountsDeleted = self.registry.makeCounter(
            descriptor: Self.name(
                "chat_accounts_deleted_total",
                "Accounts deleted by their users (DELETE /api/v2/user/me)"
            )
        )
        self.httpDuration = self.registry.makeDurationHistogram(
            descriptor: Self.name("http_request_duration_seconds", "HTTP request latency"),
            buckets: [.milliseconds(1), .milliseconds(5), .milliseconds(25), .milliseconds(100), .seconds(1)]
        )
        self.mallocInUse = self.registry.makeGauge(
            descriptor: Self.name("malloc_in_use_bytes", "Bytes of live C heap allocations (glibc mallinfo2)")
        )
        self.mallocFree = self.registry.makeGauge(
            descriptor: Self.name("malloc_free_bytes", "Freed bytes the C heap keeps for reuse (glibc mallinfo2)")
        )
        self.mallocTrims = self.registry.makeCounter(
            descriptor: Self.name("malloc_trims_total", "malloc_trim calls by the memory reclaimer")
        )
        self.mallocTrimReleased = self.registry.makeCounter(
            descriptor: Self.name(
                "malloc_trim_released_bytes_total",
                "Resident bytes the memory reclaimer's malloc_trim calls gave back to the kernel"
            )
        )
    }

    private static func name(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    /// The text exposition format.
    func render() -> [UInt8] {
        if let heap = HeapStatistics.current() {
            self.mallocInUse.set(Int64(heap.inUse))
            self.mallocFree.set(Int64(heap.free))
        }
        var buffer: [UInt8] = []
        self.registry.emit(into: &buffer)
        return buffer
    }
}
