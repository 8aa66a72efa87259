/// One page of a channel's history.
public struct ChatHistoryPage: Hashable, Sendable {
    /// The messages of the page, newest first.
    public var messages: [ChatMessage]
    /// Whether an older page follows.
    public var hasMore: Bool

    /// Creates a page.
    /// - Parameters:
    ///   - messages: The messages, newest first.
    ///   - hasMore: Whether an older page follows.
    public init(messages: [ChatMessage], hasMore: Bool) {
        self.messages = messages
        self.hasMore = hasMore
    }
}

/// A channel's history as an async sequence of pages, newest page first; see ``ChatSession/history()``.
///
/// Each iteration starts again from the newest page. Pages are fetched lazily, one request per page.
public struct ChatHistory: AsyncSequence, Sendable {
    /// Each element is one page.
    public typealias Element = ChatHistoryPage
    /// The sequence throws `ChatError` only.
    public typealias Failure = any Error

    let session: ChatSession

    /// Fetches pages one by one.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let session: ChatSession
        var pageState = ""
        var isDone = false

        /// Fetches the next (older) page.
        /// - Returns: The page, or `nil` after the oldest one.
        /// - Throws: `ChatError` from the request (for example `ChatError.Code.tokenExpired`), or
        ///   `ChatError.Code.cancelled`.
        public mutating func next() async throws -> ChatHistoryPage? {
            guard !self.isDone else { return nil }
            let state = self.pageState
            let page = try await mappingErrors("fetching history") { try await self.session.historyPage(state) }
            let hasMore = !page.nextPageState.isEmpty && page.nextPageState != self.pageState
            self.pageState = page.nextPageState
            self.isDone = !hasMore
            if page.messages.isEmpty && self.pageState != "" && !hasMore { return nil }
            return ChatHistoryPage(messages: page.messages.compactMap(ChatMessage.init(v1:)), hasMore: hasMore)
        }
    }

    /// Starts from the newest page.
    /// - Returns: The iterator.
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(session: self.session) }
}
