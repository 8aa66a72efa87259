// The handler API (inbound stream, outbound writer, close frame) is swift-websocket's.
@_exported public import WSCore
