import Testing

@testable import ChatClientSDK

@Suite("RecentMessageIDs: de-duplication remembers the most recent ids, within a bound")
struct RecentMessageIDsTests {
    func ids(_ values: ClosedRange<UInt64>) -> [MessageID] { values.map { MessageID($0) } }

    @Test("past the capacity the oldest inserted id is forgotten; a repeat neither counts nor refreshes")
    func forgetsOldestFirst() {
        var recent = RecentMessageIDs(capacity: 3)
        let firstThree = self.ids(1...3).map { recent.insert($0) }
        #expect(firstThree == [true, true, true])
        let repeated = recent.insert(MessageID(1))
        #expect(!repeated, "a repeat is reported as known")
        let fourth = recent.insert(MessageID(4))
        #expect(fourth)
        // 1 was inserted first: its repeat above did not make it more recent.
        #expect(!recent.contains(MessageID(1)))
        #expect(self.ids(2...4).allSatisfy(recent.contains))
        #expect(recent.count == 3)
        for id in self.ids(5...1000) { recent.insert(id) }
        #expect(recent.count == 3)
        #expect(self.ids(998...1000).allSatisfy(recent.contains) && !recent.contains(MessageID(997)))
    }

    @Test("forgetting follows insertion order, not the ids' values")
    func insertionOrderNotValue() {
        var recent = RecentMessageIDs([9, 1, 5].map { MessageID($0) }, capacity: 2)
        #expect(!recent.contains(MessageID(9)) && recent.contains(MessageID(1)) && recent.contains(MessageID(5)))
        recent.insert(MessageID(3))
        #expect(recent.contains(MessageID(5)) && recent.contains(MessageID(3)) && !recent.contains(MessageID(1)))
    }
}
