import CYaml
import Foundation
import Yams

/// Rule and configuration files are read and composed here, bounded before Yams sees them: Yams expands
/// aliases into the tree and hashes mapping keys whole, so a few hundred bytes of nested aliases (an
/// "alias bomb") would cost hours as keys, and aliases repeating a pattern list would multiply the rules.
/// Aliases stay allowed for what they are for (sharing a list between rules), within bounds.
package enum YAMLInput {
    /// Far above any real rule or configuration file (the largest shipped one is ~140 KB).
    package static let maxBytes = 4 << 20
    static let maxAliases = 1_000
    /// Nodes that aliases may add to the tree, over the whole file.
    static let maxAliasNodes = 10_000

    /// Reads a file as UTF-8 text, refusing what is not a regular file or is too big to be one of ours.
    package static func read(_ path: String) throws(RuleError) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw RuleError(file: path, line: 0, message: "cannot read: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            throw RuleError(file: path, line: 0, message: "not a regular file")
        }
        guard st.st_size <= maxBytes else {
            throw RuleError(file: path, line: 0, message: "\(st.st_size) bytes: larger than the \(maxBytes) bytes a rule or configuration file may have")
        }
        var bytes = [UInt8](repeating: 0, count: Int(st.st_size))
        var got = 0
        while got < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress! + got, $0.count - got) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                if n == 0 { break } // shrank meanwhile: what is there is the file
                throw RuleError(file: path, line: 0, message: "cannot read: \(String(cString: strerror(errno)))")
            }
            got += n
        }
        guard let text = String(validating: bytes[..<got], as: UTF8.self) else {
            throw RuleError(file: path, line: 0, message: "not valid UTF-8")
        }
        return text
    }

    /// Checks the bounds, then composes; errors name the file and line.
    package static func compose(_ text: String, file: String) throws(RuleError) -> Node? {
        if let problem = boundsProblem(text, file: file) { throw problem }
        // The basic resolver: our readers take every scalar as its text (Bool.construct and the like parse it),
        // and the default one matches each plain scalar against regexes for tags nobody reads (15 % of a start).
        do { return try Yams.compose(yaml: text, .basic) } catch let error as YamlError {
            throw NodeReader.locate(error, file: file)
        } catch { throw RuleError(file: file, line: 0, message: "\(error)") }
    }

    /// Walks libyaml's event stream (no tree is built) and measures what aliases would expand to. nil when
    /// within bounds; syntax errors are left to the composer, which locates them better.
    static func boundsProblem(_ text: String, file: String) -> RuleError? {
        if text.utf8.count > maxBytes {
            return RuleError(file: file, line: 0, message: "\(text.utf8.count) bytes: larger than the \(maxBytes) bytes a rule or configuration file may have")
        }
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBufferPointer { buffer -> RuleError? in
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) == 1 else { return RuleError(file: file, line: 0, message: "YAML parser: out of memory") }
            defer { yaml_parser_delete(&parser) }
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var walk = AliasWalk()
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else { return nil }
                defer { yaml_event_delete(&event) }
                let line = Int(event.start_mark.line) + 1
                if event.type == YAML_STREAM_END_EVENT { return nil }
                if let message = walk.take(event) { return RuleError(file: file, line: line, message: message) }
            }
        }
    }

    /// Sizes of anchored nodes (in nodes, aliases inside them expanded) and what aliases added so far.
    package struct AliasWalk {
        struct Open { var size = 1; var anchor: String?; var isMapping: Bool; var children = 0 }
        var stack: [Open] = []
        var anchors: [String: Int] = [:]
        var aliases = 0
        var aliasNodes = 0

        /// nil to go on, else why the file is refused.
        mutating func take(_ event: yaml_event_t) -> String? {
            switch event.type {
            case YAML_SCALAR_EVENT:
                let anchor = Self.name(event.data.scalar.anchor)
                if let anchor { anchors[anchor] = 1 }
                added(1)
            case YAML_ALIAS_EVENT:
                let anchor = Self.name(event.data.alias.anchor) ?? ""
                aliases += 1
                if aliases > maxAliases { return "more than \(maxAliases) YAML aliases (*name) in one file" }
                // An undefined alias is the composer's error to report.
                let size = anchors[anchor] ?? 1
                if size > 1, isKeyPosition { return "alias *\(anchor) of a mapping or list used as a mapping key (keys must be plain strings)" }
                aliasNodes += size
                if aliasNodes > maxAliasNodes {
                    return "YAML aliases expand to more than \(maxAliasNodes) nodes (at *\(anchor)): write the content out instead"
                }
                added(size)
            case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                if isKeyPosition { return "a mapping or list used as a mapping key (keys must be plain strings)" }
                let isMapping = event.type == YAML_MAPPING_START_EVENT
                let anchor = Self.name(isMapping ? event.data.mapping_start.anchor : event.data.sequence_start.anchor)
                stack.append(Open(anchor: anchor, isMapping: isMapping))
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                guard let done = stack.popLast() else { return nil }
                if let anchor = done.anchor { anchors[anchor] = done.size }
                added(done.size)
            default:
                break
            }
            return nil
        }

        var isKeyPosition: Bool { stack.last.map { $0.isMapping && $0.children % 2 == 0 } ?? false }

        mutating func added(_ size: Int) {
            guard !stack.isEmpty else { return }
            stack[stack.count - 1].size += size
            stack[stack.count - 1].children += 1
        }

        static func name(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
            pointer.map { String(cString: UnsafePointer($0)) }
        }
    }
}
