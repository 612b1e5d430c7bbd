import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals
import ConnwatchPipeline
import ConnwatchDaemon

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Follow the journal and log files and report findings (the daemon).",
        discussion: """
        Reads \(Config.defaultPath) (or --config); without it, a built-in default: the system journal and
        /var/log/*.log from their current end, the shipped rules, findings to stdout. SIGTERM/SIGINT stop after
        writing the last findings and checkpoints; SIGHUP reloads the configuration and rules (keeping the old
        ones when the new ones are invalid). Speaks sd_notify when run as a Type=notify service.
        """
    )

    @Option(help: "Configuration file (default \(Config.defaultPath); built-in default when it does not exist).")
    var config: String?

    func run() async throws {
        LoggingSystem.bootstrap { StderrLogHandler(label: $0) }
        let logger = Logger(label: "connwatch")
        FileFollower.raiseDescriptorLimit()
        let daemon: Daemon
        do { daemon = try Daemon(configPath: config, logger: logger) } catch {
            throw CLIError(error.description)
        }
        let service = DaemonService(daemon: daemon)
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup,
                             failureTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
    }
}

/// The daemon's poll loop on its own thread (it blocks in poll(2)); graceful shutdown and SIGHUP reach it
/// through its wake pipe.
struct DaemonService: Service {
    let daemon: Daemon

    func run() async throws {
        let daemon = self.daemon
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await _ in await UnixSignalsSequence(trapping: .sighup) { daemon.requestReload() }
                }
                try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, Error>) in
                    let thread = Thread {
                        do { try daemon.run(); done.resume() } catch { done.resume(throwing: CLIError("\(error)")) }
                    }
                    thread.name = "connwatch-loop"
                    thread.start()
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            daemon.requestStop()
        }
    }
}

struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Work with the daemon's configuration.",
        subcommands: [Check.self]
    )

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a configuration (and the rules it names) and print the effective configuration.")

        @Option(help: "Configuration file (default \(Config.defaultPath)).")
        var config: String?

        func run() throws {
            LoggingSystem.bootstrap { StderrLogHandler(label: $0) }
            // Exactly what `run` builds (configuration, rules, outputs, inputs, metrics), then stop.
            let generation: Generation
            do { generation = try Generation.build(configPath: config, logger: Logger(label: "connwatch")) } catch {
                writeError(error.description)
                throw ExitCode(Status.error)
            }
            let c = generation.config
            print(EffectiveConfig.render(c, ruleDirectories: c.resolvedRuleDirectories, ruleSet: generation.ruleSet), terminator: "")
        }
    }
}
