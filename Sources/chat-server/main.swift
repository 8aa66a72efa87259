import ChatReferenceServer

print(ChatReferenceServerInfo.status)
