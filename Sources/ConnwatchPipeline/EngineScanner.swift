import ConnwatchEngine

/// Foundation (imported everywhere) has a `Scanner` too; in this target the name means the engine's.
typealias Scanner = ConnwatchEngine.Scanner
