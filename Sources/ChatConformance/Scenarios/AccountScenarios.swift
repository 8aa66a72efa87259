import Foundation

/// §3.1 and §4.1: guest users and sessions; §1.5 and §1.7: error bodies and routes.
enum AccountScenarios {
    static let area = "accounts"

    static var all: [Scenario] {
        [
            Scenario(
                "RC-USER-CREATE-1_create_guest",
                area: area,
                section: "§4.1.1",
                "POST /api/user answers 201 with a string id, the name, an empty picture and a sid cookie"
            ) { context in
                let result = try await context.http("POST", "/api/user", body: Array(#"{"name":"carol"}"#.utf8))
                try check(result.status == 201, "expected 201, got \(result.summary)")
                let json = try must(result.json, "a JSON body")
                let id = json["id"] as? String ?? ""
                try check(!id.isEmpty && id.allSatisfy(\.isNumber), "id must be a decimal string, got \(json)")
                try check(!(id.hasPrefix("0") && id.count > 1), "id has a leading zero: \(id)")
                try check(json["name"] as? String == "carol", "name not echoed: \(json)")
                try check(json["picture"] as? String == "", "guest picture must be \"\": \(json)")
                let sid = try must(ScenarioContext.cookie("sid", in: result), "a sid cookie")
                context.remember(session: sid)
                return nil
            },
            Scenario(
                "RC-USER-CREATE-1_any_content_type",
                area: area,
                section: "§4.1.1",
                "POST /api/user accepts a text/plain body (the upstream browser's)"
            ) { context in
                let result = try await context.http(
                    "POST",
                    "/api/user",
                    headers: [("Content-Type", "text/plain;charset=UTF-8")],
                    body: Array(#"{"name":"dave"}"#.utf8)
                )
                try check(result.status == 201, "expected 201, got \(result.summary)")
                if let sid = ScenarioContext.cookie("sid", in: result) { context.remember(session: sid) }
                return nil
            },
            Scenario(
                "RC-USER-CREATE_invalid_body_400",
                area: area,
                section: "§4.1.1",
                "POST /api/user with a body that is not JSON answers 400 \"invalid parameter\""
            ) { context in
                let result = try await context.http("POST", "/api/user", body: Array("name=eve".utf8))
                try check(result.status == 400, "expected 400, got \(result.summary)")
                try check(
                    result.msg == "invalid parameter",
                    "msg must be \"invalid parameter\" (RC-ERR-3): \(result.text)"
                )
                return nil
            },
            Scenario(
                "RC-USER-CREATE_missing_name_400",
                area: area,
                section: "§4.1.1",
                "POST /api/user without a name answers 400"
            ) { context in
                let result = try await context.http("POST", "/api/user", body: Array("{}".utf8))
                try check(result.status == 400, "expected 400, got \(result.summary)")
                return nil
            },
            Scenario(
                "RC-AUTH-SID-3_session_usable_at_once",
                area: area,
                section: "§3.1",
                "GET /api/user/me with a fresh cookie answers 200 with the same user (D41)"
            ) { context in
                let user = try await context.signUp("frank")
                let me = try await context.http("GET", "/api/user/me", headers: [("Cookie", "sid=\(user.sid)")])
                try check(me.status == 200, "expected 200 right after sign-up, got \(me.summary)")
                try check(me.json?["id"] as? String == user.id, "/me names another user: \(me.text)")
                return nil
            },
            Scenario(
                "RC-AUTH-SID_me_refreshes_cookie",
                area: area,
                section: "§4.1.3",
                "GET /api/user/me re-sends the sid cookie with a fresh Max-Age (upstream never refreshes, D23)"
            ) { context in
                let user = try await context.signUp("ivan")
                let me = try await context.http("GET", "/api/user/me", headers: [("Cookie", "sid=\(user.sid)")])
                try check(me.status == 200, "expected 200, got \(me.summary)")
                guard let refreshed = ScenarioContext.cookie("sid", in: me) else {
                    return try context.upstream("upstream D23: the session is not refreshed")
                }
                try check(refreshed == user.sid, "/me replaced the session id")
                return "fixed: cookie re-sent"
            },
            Scenario(
                "RC-AUTH-SID-1_url_escaped_cookie",
                area: area,
                section: "§3.1",
                "The sid cookie works URL-escaped as well as raw"
            ) { context in
                let user = try await context.signUp("grace")
                let escaped = user.sid.unicodeScalars.map { scalar -> String in
                    let ascii = Character(scalar)
                    return ascii.isLetter || ascii.isNumber ? String(ascii) : String(format: "%%%02X", scalar.value)
                }.joined()
                let me = try await context.http("GET", "/api/user/me", headers: [("Cookie", "sid=\(escaped)")])
                try check(me.status == 200, "escaped sid \(escaped): \(me.summary)")
                return nil
            },
            Scenario(
                "RC-AUTH-SID-2_missing_cookie_401",
                area: area,
                section: "§3.1",
                "GET /api/user/me without a cookie answers 401"
            ) { context in
                let me = try await context.http("GET", "/api/user/me")
                try check(me.status == 401, "expected 401, got \(me.summary)")
                return unauthorizedBodyNote(me)
            },
            Scenario(
                "RC-AUTH-SID-2_unknown_cookie_401",
                area: area,
                section: "§3.1",
                "GET /api/user/me with an unknown session answers 401"
            ) { context in
                let me = try await context.http(
                    "GET",
                    "/api/user/me",
                    headers: [("Cookie", "sid=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
                )
                try check(me.status == 401, "expected 401, got \(me.summary)")
                return unauthorizedBodyNote(me)
            },
            Scenario(
                "RC-USER-GET_by_uid",
                area: area,
                section: "§4.1.2",
                "GET /api/user?uid= returns another user's id and name"
            ) { context in
                let alice = try await context.signUp("alice")
                let bob = try await context.signUp("bob")
                let result = try await context.http(
                    "GET",
                    "/api/user?uid=\(bob.id)",
                    headers: [("Cookie", "sid=\(alice.sid)")]
                )
                try check(result.status == 200, "expected 200, got \(result.summary)")
                try check(result.json?["id"] as? String == bob.id, "wrong user: \(result.text)")
                try check(result.json?["name"] as? String == "bob", "wrong name: \(result.text)")
                return nil
            },
            Scenario(
                "RC-USER-GET_unknown_uid_404",
                area: area,
                section: "§4.1.2",
                "GET /api/user?uid=<unknown> answers 404 \"error user not found\""
            ) { context in
                let alice = try await context.signUp("alice")
                let result = try await context.http(
                    "GET",
                    "/api/user?uid=123",
                    headers: [("Cookie", "sid=\(alice.sid)")]
                )
                try check(result.status == 404, "expected 404, got \(result.summary)")
                try check(result.msg == "error user not found", "msg: \(result.text)")
                return nil
            },
            Scenario(
                "RC-USER-GET_malformed_uid_400",
                area: area,
                section: "§4.1.2",
                "GET /api/user?uid=abc answers 400"
            ) { context in
                let alice = try await context.signUp("alice")
                let result = try await context.http(
                    "GET",
                    "/api/user?uid=abc",
                    headers: [("Cookie", "sid=\(alice.sid)")]
                )
                try check(result.status == 400, "expected 400, got \(result.summary)")
                return nil
            },
            Scenario(
                "RC-USER-GET_without_cookie_401",
                area: area,
                section: "§4.1.2",
                "GET /api/user?uid= without a session answers 401"
            ) { context in
                let alice = try await context.signUp("alice")
                let result = try await context.http("GET", "/api/user?uid=\(alice.id)")
                try check(result.status == 401, "expected 401, got \(result.summary)")
                return nil
            },
            Scenario(
                "RC-USER-LOGOUT-1_logout_ends_session",
                area: area,
                section: "§4.1.4",
                "POST /api/user/logout answers 204, ends the session, and is idempotent"
            ) { context in
                let user = try await context.signUp("heidi")
                let cookie = [("Cookie", "sid=\(user.sid)")]
                let logout = try await context.http("POST", "/api/user/logout", headers: cookie)
                if logout.status == 404 { throw ScenarioSkip("no logout endpoint (upstream has none, D26)") }
                try check(logout.status == 204, "expected 204, got \(logout.summary)")
                let me = try await context.http("GET", "/api/user/me", headers: cookie)
                try check(me.status == 401, "session still usable after logout: \(me.summary)")
                let again = try await context.http("POST", "/api/user/logout", headers: cookie)
                try check(again.status == 204, "second logout: expected 204, got \(again.summary)")
                return nil
            },
            Scenario(
                "RC-HTTP-ROUTE-1_unknown_path_404",
                area: area,
                section: "§1.7",
                "An unknown path answers 404"
            ) { context in
                let result = try await context.http("GET", "/api/no-such-endpoint")
                try check(result.status == 404, "expected 404, got \(result.summary)")
                return nil
            },
            Scenario(
                "RC-HTTP-ERR-1_error_body",
                area: area,
                section: "§1.5",
                "Error answers are JSON with msg (and, fixed, code and temporary)"
            ) { context in
                let result = try await context.http("POST", "/api/user", body: Array("not json".utf8))
                try check(result.status == 400, "expected 400, got \(result.summary)")
                let type = result.header("Content-Type") ?? ""
                try check(type.hasPrefix("application/json"), "Content-Type \(type)")
                let json = try must(result.json, "a JSON error body")
                try check(json["msg"] is String, "no msg: \(result.text)")
                if json["code"] == nil { return try context.upstream("upstream shape: msg only (no code/temporary)") }
                try check(json["code"] as? String == "invalid_parameter", "code: \(result.text)")
                try check(json["temporary"] as? Bool == false, "temporary: \(result.text)")
                return "fixed shape: msg, code, temporary"
            },
        ]
    }

    /// Notes whether a 401 came with upstream's empty body or the fixed error body.
    static func unauthorizedBodyNote(_ result: HTTPResult) -> String {
        result.body.isEmpty ? "upstream: empty 401 body" : "fixed: 401 body \(result.text)"
    }
}
