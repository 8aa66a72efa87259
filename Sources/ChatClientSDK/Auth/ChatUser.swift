/// A user account: a guest who picked a name, or a user who signed in elsewhere.
public struct ChatUser: Hashable, Sendable, Identifiable {
    /// The user's id.
    public var id: UserID
    /// The display name.
    public var name: String
    /// A picture URL; empty for guests.
    public var pictureURL: String

    /// Creates a user value.
    /// - Parameters:
    ///   - id: The id.
    ///   - name: The display name.
    ///   - pictureURL: A picture URL, or `""`.
    public init(id: UserID, name: String, pictureURL: String = "") {
        self.id = id
        self.name = name
        self.pictureURL = pictureURL
    }

    init(_ user: V1.User) {
        self.init(id: user.id, name: user.name, pictureURL: user.picture)
    }
}
