/// The Go system's internal gRPC messages (`proto/upstream/**`), reproduced field for field so that the
/// protobuf codec is proven on a schema we did not design, and so the reference server can speak to upstream
/// services. Swift names are the proto names in UpperCamelCase / lowerCamelCase, with `ID` for `Id`.
public enum Upstream {}

extension Upstream {
    /// `chat.CreateChannelRequest`.
    public struct CreateChannelRequest: Hashable, Sendable {
        /// Creates a request.
        public init() {}
    }

    /// `chat.CreateChannelResponse`: the new channel and its token.
    public struct CreateChannelResponse: Hashable, Sendable {
        /// The new channel.
        public var channelID: ChannelID
        /// A channel token.
        public var accessToken: String

        /// Creates a response; each argument sets the property of the same name.
        public init(channelID: ChannelID = ChannelID(0), accessToken: String = "") {
            self.channelID = channelID
            self.accessToken = accessToken
        }
    }

    /// `chat.AddUserRequest`: add a user to a channel.
    public struct AddUserRequest: Hashable, Sendable {
        /// The channel.
        public var channelID: ChannelID
        /// The user.
        public var userID: UserID

        /// Creates a request; each argument sets the property of the same name.
        public init(channelID: ChannelID = ChannelID(0), userID: UserID = UserID(0)) {
            self.channelID = channelID
            self.userID = userID
        }
    }

    /// `chat.AddUserResponse`.
    public struct AddUserResponse: Hashable, Sendable {
        /// Creates a response.
        public init() {}
    }

    /// `forwarder.RegisterChannelSessionRequest`: route a channel's messages to a subscriber.
    public struct RegisterChannelSessionRequest: Hashable, Sendable {
        /// The channel.
        public var channelID: ChannelID
        /// The user.
        public var userID: UserID
        /// The subscriber (a chat server instance).
        public var subscriber: String

        /// Creates a request; each argument sets the property of the same name.
        public init(channelID: ChannelID = ChannelID(0), userID: UserID = UserID(0), subscriber: String = "") {
            self.channelID = channelID
            self.userID = userID
            self.subscriber = subscriber
        }
    }

    /// `forwarder.RegisterChannelSessionResponse`.
    public struct RegisterChannelSessionResponse: Hashable, Sendable {
        /// Creates a response.
        public init() {}
    }

    /// `forwarder.RemoveChannelSessionRequest`: stop routing a channel session.
    public struct RemoveChannelSessionRequest: Hashable, Sendable {
        /// The channel.
        public var channelID: ChannelID
        /// The user.
        public var userID: UserID

        /// Creates a request; each argument sets the property of the same name.
        public init(channelID: ChannelID = ChannelID(0), userID: UserID = UserID(0)) {
            self.channelID = channelID
            self.userID = userID
        }
    }

    /// `forwarder.RemoveChannelSessionResponse`.
    public struct RemoveChannelSessionResponse: Hashable, Sendable {
        /// Creates a response.
        public init() {}
    }

    /// `user.User`.
    public struct User: Hashable, Sendable {
        /// The user's id (proto field `id`).
        public var id: UserID
        /// The user's display name.
        public var name: String

        /// Creates a user; each argument sets the property of the same name.
        public init(id: UserID = UserID(0), name: String = "") {
            self.id = id
            self.name = name
        }
    }

    /// `user.GetUserRequest`.
    public struct GetUserRequest: Hashable, Sendable {
        /// The user to look up.
        public var userID: UserID

        /// Creates a request; each argument sets the property of the same name.
        public init(userID: UserID = UserID(0)) { self.userID = userID }
    }

    /// `user.GetUserResponse`.
    public struct GetUserResponse: Hashable, Sendable {
        /// Whether the user exists.
        public var exist: Bool
        /// The user, or `nil` when absent.
        public var user: User?

        /// Creates a response; each argument sets the property of the same name.
        public init(exist: Bool = false, user: User? = nil) {
            self.exist = exist
            self.user = user
        }
    }

    /// `user.GetUserIdBySessionRequest`.
    public struct GetUserIDBySessionRequest: Hashable, Sendable {
        /// The session id.
        public var sid: String

        /// Creates a request; each argument sets the property of the same name.
        public init(sid: String = "") { self.sid = sid }
    }

    /// `user.GetUserIdBySessionResponse`.
    public struct GetUserIDBySessionResponse: Hashable, Sendable {
        /// The session's user.
        public var userID: UserID

        /// Creates a response; each argument sets the property of the same name.
        public init(userID: UserID = UserID(0)) { self.userID = userID }
    }
}
