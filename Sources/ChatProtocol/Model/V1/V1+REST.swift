extension V1 {
    /// The body of `POST /api/user`: `{"name":"alice"}`.
    public struct CreateUserRequest: Hashable, Sendable {
        /// The display name; non-empty.
        public var name: String

        /// Creates a sign-up request.
        /// - Parameter name: The display name.
        public init(name: String) { self.name = name }
    }

    /// A user as the user endpoints return it: `{"id":"<id>","name":"alice","picture":""}`.
    public struct User: Hashable, Sendable {
        /// The user's id.
        public var id: UserID
        /// The display name.
        public var name: String
        /// A picture URL; empty for guest users.
        public var picture: String

        /// Creates a user.
        /// - Parameters:
        ///   - id: The user's id.
        ///   - name: The display name.
        ///   - picture: A picture URL, or `""`.
        public init(id: UserID, name: String, picture: String = "") {
            self.id = id
            self.name = name
            self.picture = picture
        }
    }

    /// The body of `GET /api/chat/users` and `/api/chat/users/online`: `{"user_ids":["<id>",…]}`.
    public struct UserIDList: Hashable, Sendable {
        /// The members; never `null` on the wire.
        public var userIDs: [UserID]

        /// Creates a member list.
        /// - Parameter userIDs: The members.
        public init(userIDs: [UserID]) { self.userIDs = userIDs }
    }

    /// The body of `GET /api/uploader/upload/presigned`: `{"object_key":"<cid>/<uuid>.<ext>","url":"…"}`.
    public struct PresignedUpload: Hashable, Sendable {
        /// The key the object will have.
        public var objectKey: String
        /// The URL to `PUT` the bytes to.
        public var url: String

        /// Creates a presigned upload answer.
        /// - Parameters:
        ///   - objectKey: The object's key.
        ///   - url: The upload URL.
        public init(objectKey: String, url: String) {
            self.objectKey = objectKey
            self.url = url
        }
    }

    /// The body of `GET /api/uploader/download/presigned`: `{"url":"…"}`.
    public struct PresignedDownload: Hashable, Sendable {
        /// The URL to `GET` the object from.
        public var url: String

        /// Creates a presigned download answer.
        /// - Parameter url: The download URL.
        public init(url: String) { self.url = url }
    }

    /// The body of the deprecated `POST /api/uploader/upload/files`:
    /// `{"uploaded_files":[{"name":"a.png","url":"…"}]}`, or `{"uploaded_files":null}` when no file was sent.
    public struct UploadedFiles: Hashable, Sendable {
        /// One stored file.
        public struct File: Hashable, Sendable {
            /// The original file name.
            public var name: String
            /// Where the file can be fetched.
            public var url: String

            /// Creates a stored-file entry.
            /// - Parameters:
            ///   - name: The original file name.
            ///   - url: Where the file can be fetched.
            public init(name: String, url: String) {
                self.name = name
                self.url = url
            }
        }

        /// The stored files; `nil` renders as `null`, as upstream does for zero files.
        public var files: [File]?

        /// Creates an upload answer.
        /// - Parameter files: The stored files, or `nil`.
        public init(files: [File]?) { self.files = files }
    }

    /// An error body: `{"msg":"invalid parameter"}`, plus the v2 fields our server adds (`code`, `temporary`,
    /// `retry_after_ms`), which v1 clients ignore.
    public struct ErrorBody: Hashable, Sendable {
        /// The upstream message string.
        public var msg: String
        /// The snake_case ``ChatError/Code`` name; absent in bodies from the Go server.
        public var code: String?
        /// Whether retrying unchanged may succeed; absent in bodies from the Go server.
        public var temporary: Bool?
        /// How long to wait before retrying, in milliseconds, when advised.
        public var retryAfterMs: UInt32?

        /// Creates an error body.
        /// - Parameters:
        ///   - msg: The message string.
        ///   - code: The code name.
        ///   - temporary: Whether retrying may succeed.
        ///   - retryAfterMs: Retry advice in milliseconds.
        public init(msg: String, code: String? = nil, temporary: Bool? = nil, retryAfterMs: UInt32? = nil) {
            self.msg = msg
            self.code = code
            self.temporary = temporary
            self.retryAfterMs = retryAfterMs
        }

        /// The body a server sends for an error: the table's message, code and temporary flag.
        /// - Parameter error: The error.
        public init(_ error: ChatError) {
            self.init(
                msg: error.message,
                code: error.code.wireName,
                temporary: error.isTemporary,
                retryAfterMs: error.retryAfter.map { UInt32(clamping: $0.milliseconds) }
            )
        }
    }
}

extension Duration {
    /// The duration in whole milliseconds, rounded up.
    package var milliseconds: Int64 {
        let (seconds, attoseconds) = self.components
        let millis = attoseconds / 1_000_000_000_000_000
        let rest = attoseconds % 1_000_000_000_000_000
        return seconds &* 1000 &+ millis &+ (rest > 0 ? 1 : 0)
    }
}
