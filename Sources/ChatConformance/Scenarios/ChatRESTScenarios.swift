import Foundation

/// §4.2: members, online users, v1 history paging and channel deletion.
enum ChatRESTScenarios {
    static let area = "rest"

    static func userIDs(_ context: ScenarioContext, _ path: String, _ token: String) async throws -> Set<String> {
        let result = try await context.http("GET", path, headers: context.bearer(token))
        try check(result.status == 200, "\(path): \(result.summary)")
        let ids = try must(result.json?["user_ids"] as? [String], "a user_ids array of strings in \(result.text)")
        return Set(ids)
    }

    static var all: [Scenario] {
        [
            Scenario(
                "RC-CHAT-REST-2_online_users",
                area: area,
                section: "§4.2.3",
                "users/online lists exactly the members with an open chat connection"
            ) { context in
                let pair = try await context.matchedPair()
                let empty = try await userIDs(context, "/api/chat/users/online", pair.token)
                try check(empty.isEmpty, "online before anyone connected: \(empty)")
                let a = try await context.joinChat(pair.a, pair.token)
                try check(
                    try await context.eventually {
                        try await userIDs(context, "/api/chat/users/online", pair.token) == [pair.a.id]
                    },
                    "online should be [A]"
                )
                let b = try await context.joinChat(pair.b, pair.token)
                try check(
                    try await context.eventually {
                        try await userIDs(context, "/api/chat/users/online", pair.token) == [pair.a.id, pair.b.id]
                    },
                    "online should be [A, B]"
                )
                try await b.close()
                try check(
                    try await context.eventually {
                        try await userIDs(context, "/api/chat/users/online", pair.token) == [pair.a.id]
                    },
                    "online should be [A] after B closed"
                )
                try await a.close()
                return nil
            },
            Scenario(
                "RC-HIST1-1_newest_first_text_and_files_only",
                area: area,
                section: "§4.2.4",
                "History returns only text and file messages, newest first, with next_ps \"\" at the end"
            ) { context in
                let (pair, a, b) = try await ChatEventScenarios.connected(context)
                _ = try await context.say(a, from: pair.a.id, "first")
                try await context.sendV1(b, from: pair.b.id, "istyping", event: 1)
                _ = try await context.say(b, from: pair.b.id, "second")
                let page = try await ChatEventScenarios.history(context, pair.token)
                let messages = try must(page["messages"] as? [[String: Any]], "messages array")
                let payloads = messages.compactMap { $0["payload"] as? String }
                try check(payloads == ["second", "first"], "history payloads \(payloads)")
                try check(messages.allSatisfy { $0["event"] as? Int == 0 }, "non-text rows: \(messages)")
                try check(messages.allSatisfy { $0["message_id"] is String && $0["time"] is Int }, "row shape")
                try check(page["next_ps"] as? String == "", "next_ps \(page["next_ps"] ?? "nil")")
                return nil
            },
            Scenario(
                "RC-HIST1-1_empty_channel",
                area: area,
                section: "§4.2.4",
                "The history of an empty channel is {\"next_ps\":\"\",\"messages\":[]}, never null"
            ) { context in
                let pair = try await context.matchedPair()
                let result = try await context.http(
                    "GET",
                    "/api/chat/channel/messages",
                    headers: context.bearer(pair.token)
                )
                try check(result.status == 200, "\(result.summary)")
                try check(result.json?["messages"] is [Any], "messages must be an array: \(result.text)")
                try check(result.json?["next_ps"] as? String == "", "next_ps: \(result.text)")
                return nil
            },
            Scenario(
                "RC-HIST1-2_bad_page_state_400",
                area: area,
                section: "§4.2.4",
                "An undecodable ps answers 400 (upstream 500, D47)"
            ) { context in
                let pair = try await context.matchedPair()
                let result = try await context.http(
                    "GET",
                    "/api/chat/channel/messages?ps=%%%",
                    headers: context.bearer(pair.token)
                )
                if result.status == 500 { return try context.upstream("upstream D47: 500") }
                try check(result.status == 400, "expected 400, got \(result.summary)")
                return "fixed: 400"
            },
            Scenario(
                "RC-HIST1-2_paging",
                area: area,
                section: "§4.2.4",
                "Paging with next_ps returns every message exactly once, newest first, then next_ps \"\"",
                timeout: .seconds(30)
            ) { context in
                let size = try context.require(context.configuration.historyPageSize, "--history-page-size")
                let cap = context.configuration.messageCap ?? 5000
                let total = min(2 * size + 1, cap)
                try check(total > size, "the message cap (\(cap)) must exceed the page size (\(size)) to page")
                let (pair, a, _) = try await ChatEventScenarios.connected(context)
                for index in 0..<total { _ = try await context.say(a, from: pair.a.id, "m\(index)") }
                var collected: [String] = []
                var ps = ""
                for _ in 0..<(total + 2) {
                    let page = try await ChatEventScenarios.history(context, pair.token, ps: ps)
                    let rows = page["messages"] as? [[String: Any]] ?? []
                    try check(rows.count <= size, "page of \(rows.count) rows exceeds \(size)")
                    collected += rows.compactMap { $0["payload"] as? String }
                    ps = page["next_ps"] as? String ?? ""
                    if ps.isEmpty { break }
                    ps = ps.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ps
                }
                let expected = (0..<total).reversed().map { "m\($0)" }
                try check(collected == expected, "paged history \(collected), expected \(expected)")
                return nil
            },
            Scenario(
                "RC-CHAT-DELETE-1_leaved_then_close_1000",
                area: area,
                section: "§4.2.5",
                "DELETE answers 204 with no body; both connections get leaved(delby), then close 1000"
            ) { context in
                let (pair, a, b) = try await ChatEventScenarios.connected(context)
                let result = try await context.http(
                    "DELETE",
                    "/api/chat/channel?delby=\(pair.a.id)",
                    headers: context.bearer(pair.token)
                )
                try check(
                    result.status == 204 && result.body.isEmpty,
                    "expected 204 without body, got \(result.summary)"
                )
                try await context.awaitAction(a, "leaved", by: pair.a.id)
                try await context.awaitAction(b, "leaved", by: pair.a.id)
                let codes: [UInt16?]
                do {
                    codes = [try await a.closeCode(), try await b.closeCode()]
                } catch {
                    return try context.upstream("upstream: sockets left open after the deletion")
                }
                try check(codes == [1000, 1000], "close codes \(codes)")
                return nil
            },
            Scenario(
                "RC-AUTH-REVOKE-1_deleted_channel_token_revoked",
                area: area,
                section: "§3.6",
                "After DELETE the channel's token gets 401 \"channel closed\" on REST and on the chat upgrade (D7, D10)"
            ) { context in
                let pair = try await context.matchedPair()
                let delete = try await context.http(
                    "DELETE",
                    "/api/chat/channel?delby=\(pair.b.id)",
                    headers: context.bearer(pair.token)
                )
                try check(delete.status == 204, "DELETE: \(delete.summary)")
                let users = try await context.http("GET", "/api/chat/users", headers: context.bearer(pair.token))
                if users.status == 200 || users.status == 500 {
                    return try context.upstream(
                        "upstream D10/D7: the token still works after deletion (\(users.status))"
                    )
                }
                try check(users.status == 401 && users.msg == "channel closed", "users: \(users.summary)")
                try await context.expectRefusal(
                    context.chatPath(pair.a.id, pair.token),
                    status: 401,
                    msg: "channel closed"
                )
                let again = try await context.http(
                    "DELETE",
                    "/api/chat/channel?delby=\(pair.b.id)",
                    headers: context.bearer(pair.token)
                )
                try check(again.status == 401, "second DELETE: \(again.summary)")
                return "fixed: revoked"
            },
            Scenario(
                "RC-CHAT-DELETE_non_member_400",
                area: area,
                section: "§4.2.5",
                "DELETE with a delby that is not a member answers 400 \"error channel or user not found\""
            ) { context in
                let pair = try await context.matchedPair()
                let stranger = try await context.signUp("stranger")
                let result = try await context.http(
                    "DELETE",
                    "/api/chat/channel?delby=\(stranger.id)",
                    headers: context.bearer(pair.token)
                )
                try check(result.status == 400, "expected 400, got \(result.summary)")
                try check(result.msg == "error channel or user not found", "msg: \(result.text)")
                return nil
            },
            Scenario(
                "RC-CHAT-DELETE_missing_delby_400",
                area: area,
                section: "§4.2.5",
                "DELETE without delby answers 400"
            ) { context in
                let pair = try await context.matchedPair()
                let result = try await context.http("DELETE", "/api/chat/channel", headers: context.bearer(pair.token))
                try check(result.status == 400, "expected 400, got \(result.summary)")
                return nil
            },
        ]
    }
}
