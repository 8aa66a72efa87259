import Foundation

// server-bench <match|idle|restart|token|tokens> [--name value …]: drives a running chat-server through the SDK.
// See ../../server.sh, which starts the server, runs these and writes results/latest/server-*.json.
let usage = """
    usage: server-bench match   --server URL [--protocol v1|v2] --pairs N
           server-bench idle    --server URL [--protocol v1|v2] --conns K --control DIR
           server-bench restart --server URL [--protocol v1|v2] --conns K --control DIR [--before 3] [--during 1]
           server-bench token   --server URL [--protocol v1|v2]
           server-bench tokens  --server URL [--protocol v1|v2] --conns K --out FILE
    """

do {
    let command = CommandLine.arguments.dropFirst().first ?? ""
    let arguments = try Arguments(CommandLine.arguments.dropFirst(2))
    switch command {
    case "match": try await MatchBench.run(arguments)
    case "idle": try await IdleBench.run(arguments)
    case "restart": try await RestartBench.run(arguments)
    case "token": try await TokenCommand.run(arguments)
    case "tokens": try await TokensCommand.run(arguments)
    default:
        FileHandle.standardError.write(Data((usage + "\n").utf8))
        exit(64)
    }
} catch {
    FileHandle.standardError.write(Data("server-bench: \(error)\n".utf8))
    exit(1)
}
