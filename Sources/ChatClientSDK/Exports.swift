@_exported public import ChatProtocol
