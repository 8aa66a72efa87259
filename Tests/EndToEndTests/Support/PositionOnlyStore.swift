import ChatClientSDK

/// A store that keeps matches, v2 positions and pending sends but no transcript, like an app that trims its
/// messages: a reopened session can then avoid repeating old messages only by resuming from the stored position.
final class PositionOnlyStore: ChatSessionStore {
    let inner = ChatMemoryStore()

    func messages(in channelID: ChannelID) async -> [ChatMessage] { [] }
    func append(_ messages: [ChatMessage], to channelID: ChannelID) async {}
    func saveMatch(_ match: ChatMatch) async { await self.inner.saveMatch(match) }
    func matches() async -> [ChatMatch] { await self.inner.matches() }
    func removeChannel(_ channelID: ChannelID) async { await self.inner.removeChannel(channelID) }
    func position(in channelID: ChannelID) async -> ChatChannelPosition? { await self.inner.position(in: channelID) }
    func savePosition(_ position: ChatChannelPosition, in channelID: ChannelID) async {
        await self.inner.savePosition(position, in: channelID)
    }
    func pendingSends(in channelID: ChannelID) async -> [ChatPendingSend] {
        await self.inner.pendingSends(in: channelID)
    }
    func addPendingSend(_ send: ChatPendingSend, to channelID: ChannelID) async {
        await self.inner.addPendingSend(send, to: channelID)
    }
    func removePendingSends(_ clientMessageIDs: [String], from channelID: ChannelID) async {
        await self.inner.removePendingSends(clientMessageIDs, from: channelID)
    }
}
