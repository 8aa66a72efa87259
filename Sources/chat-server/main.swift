import ChatReferenceServer

await ChatServerCommand.runFromCommandLine()
