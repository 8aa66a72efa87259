import ArgumentParser
import GRDB
import Hummingbird
import HummingbirdWebSocket
import JWTKit
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

/// The reference server is not implemented yet (see issue 3).
public enum ChatReferenceServerInfo {
    /// A one-line status for the `chat-server` command.
    public static let status = "chat-server: not implemented yet"
}
