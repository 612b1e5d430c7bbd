import Foundation
import Testing
@testable import ConnwatchModel
@testable import ConnwatchEngine
@testable import ConnwatchPipeline

/// A secret's name on one line and its value on the next (docs/findings.md, "Redaction"): the Redactor given the
/// line before, a multi-line text read whole, and the Scanner over files whose lines reach it in buffers of every
/// size (the line before in the same buffer, or carried from the source's previous buffer).
@Suite struct RedactionAcrossLinesTests {
    struct Form: Sendable, CustomTestStringConvertible {
        var source: String
        var previous: String
        var line: String
        var secrets: [String]
        var kept: [String]
        var testDescription: String { source }
    }

    static let forms: [Form] = [
        // `kubectl get pod -o yaml`, Helm/Argo CD manifests: the env var's name, then its value.
        Form(source: "Kubernetes env list (kubectl get -o yaml)", previous: "    - name: DB_PASSWORD",
             line: "      value: Kube!Env_Pass1", secrets: ["Kube!Env_Pass1"], kept: ["value:"]),
        Form(source: "Kubernetes env list, quoted", previous: "  - name: \"AZURE_CLIENT_SECRET\"",
             line: "    value: \"Q7x8Q~abcdefghijklmnopqrstuvwxyz01234567\"", secrets: ["abcdefghijklmnopqrstuvwxyz01234567"], kept: ["value:"]),
        // HAR files and Postman/axios header arrays pretty-printed: `{"name": "Authorization", "value": "Bearer …"}`.
        Form(source: "HAR header pair", previous: "        \"name\": \"Authorization\",",
             line: "        \"value\": \"Bearer Har0paqueAccessToken_918273\"", secrets: ["Har0paqueAccessToken_918273"], kept: ["\"value\":"]),
        // PowerShell Format-List of a header dictionary.
        Form(source: "PowerShell Format-List Key/Value", previous: "Key   : Ocp-Apim-Subscription-Key",
             line: "Value : 0f1e2d3c4b5a69788796a5b4c3d2e1f0", secrets: ["0f1e2d3c4b5a69788796a5b4c3d2e1f0"], kept: ["Value :"]),
        // YAML: the value on the next line, indented; a block scalar.
        Form(source: "YAML value on the next line", previous: "  password:",
             line: "    Yaml_Next_Line_Pw9", secrets: ["Yaml_Next_Line_Pw9"], kept: []),
        Form(source: "YAML block scalar", previous: "  client_secret: |",
             line: "    Bl0ck-Scalar-Secret-Value", secrets: ["Bl0ck-Scalar-Secret-Value"], kept: []),
        Form(source: "YAML folded block scalar with chomping", previous: "stringData:\n  token: >-",
             line: "    Folded_Token_Value_77", secrets: ["Folded_Token_Value_77"], kept: []),
        // Pretty-printed JSON split after the name (Node's util.inspect breaks a long string onto its own line).
        Form(source: "Node util.inspect, long string on its own line", previous: "  access_token:",
             line: "   'Zt9opaqueNodeAccessToken0123456789abcdefABCDEF',", secrets: ["Zt9opaqueNodeAccessToken0123456789abcdefABCDEF"], kept: []),
        Form(source: "JSON split after the name", previous: "  \"client_secret\":",
             line: "      \"Js0n-Split-Secret-Value\",", secrets: ["Js0n-Split-Secret-Value"], kept: []),
        // A header folded onto a continuation line (RFC 7230 obs-fold), and a scheme left at the line's end.
        Form(source: "Authorization folded after its name", previous: "Authorization:",
             line: "\tBearer F0ldedBearerCredential_5566", secrets: ["F0ldedBearerCredential_5566"], kept: ["Bearer"]),
        Form(source: "Authorization folded after the scheme", previous: "Authorization: Bearer",
             line: "    F0ldedAfterScheme_778899", secrets: ["F0ldedAfterScheme_778899"], kept: []),
        // What must stay: the next key after an empty secret, prose after a name, a plain name's value.
        Form(source: "an empty password, then another key", previous: "  password:",
             line: "  username: alice", secrets: [], kept: ["username: alice"]),
        Form(source: "a YAML list of keys under a secret's name", previous: "  credentials:",
             line: "    - name: primary", secrets: [], kept: ["- name: primary"]),
        Form(source: "a YAML list item under a secret's name", previous: "  api_tokens:",
             line: "    - Yaml-List-Token-4321", secrets: ["Yaml-List-Token-4321"], kept: ["- "]),
        // The line before ends open, but names no secret: a line starting inside a key is still masked.
        Form(source: "a key's body line after a label", previous: "2026-12-02 10:00:00 DEBUG loaded key material:",
             line: "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj",
             secrets: ["MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj"], kept: []),
        Form(source: "prose after a secret's name", previous: "Password:",
             line: "  The password must be changed at next logon", secrets: [], kept: ["The password must be changed at next logon"]),
        Form(source: "a plain env var's value", previous: "    - name: LOG_LEVEL",
             line: "      value: debug-verbose-42", secrets: [], kept: ["debug-verbose-42"]),
        Form(source: "a block scalar under a plain key", previous: "  description: |",
             line: "    Sync job for tenant 72f988bf-86f1-41af-91ab-2d7cd011db47", secrets: [],
             kept: ["Sync job for tenant 72f988bf-86f1-41af-91ab-2d7cd011db47"]),
        // Hadoop's MRAppMaster (loghub Hadoop_2k): a label ending in a secret's name, then the next record.
        Form(source: "the next record after a label", previous: "2015-10-18 18:01:48,963 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: Executing with tokens:",
             line: "2015-10-18 18:01:48,963 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: Kind: YARN_AM_RM_TOKEN, Service: ,",
             secrets: [], kept: ["2015-10-18 18:01:48,963 INFO"]),
        Form(source: "a line after an error label", previous: "2026-12-02T10:00:00Z ERROR token refresh failed:",
             line: "AADSTS7000215: Invalid client secret provided. Trace ID: 0b7a7d1e-4c3f-4b2a-9a8e-1f2d3c4b5a69",
             secrets: [], kept: ["AADSTS7000215: Invalid client secret provided. Trace ID: 0b7a7d1e-4c3f-4b2a-9a8e-1f2d3c4b5a69"]),
    ]

    func check(_ out: String, _ form: Form, _ how: String) {
        for s in form.secrets { #expect(!out.contains(s), "\(how): '\(s)' left in: \(out)") }
        for k in form.kept { #expect(out.contains(k), "\(how): '\(k)' lost in: \(out)") }
    }

    @Test(arguments: forms)
    func theLineBeforeGivesTheName(_ form: Form) {
        let redactor = Redactor()
        var previous = form.previous.split(separator: "\n").last.map(String.init) ?? ""
        var line = form.line
        let spans = previous.withUTF8 { p in line.withUTF8 { l in redactor.spans(in: UnsafeRawBufferPointer(l), after: UnsafeRawBufferPointer(p)) } }
        let out = line.withUTF8 { Redactor.text(spans, of: UnsafeRawBufferPointer($0), range: 0..<$0.count) }
        check(out, form, "line after line")
        // Read whole, as a multi-line event is: the same.
        let whole = redactor.redact(form.previous + "\n" + form.line)
        check(whole, form, "one text")
        #expect(redactor.redact(whole) == whole)
    }

    static let probeSet: RuleSet = {
        let dir = try! rulesDirectory(["r.yaml": ruleYAML(id: "connector.probe", patterns: [#"(?<detail>.*)probe-\d+"#],
                                                         match: ["x probe-1"])])
        return try! RuleSet.load(directories: [dir])
    }()

    /// Every form's line carries a probe the rule finds; the line before does not. Whatever the buffers' sizes
    /// (a buffer's first line gets the line before from the previous buffer), every finding's line is the same.
    @Test func theScannerGivesTheLineBeforeWhateverTheBuffers() throws {
        var text = "start of the log\n"
        for (k, form) in Self.forms.enumerated() {
            text += form.previous + "\n" + form.line + " probe-\(k)\n" + "filler line between forms\n"
        }
        let whole = try scanBytes(Array(text.utf8), Self.probeSet)
        try #require(whole.count == Self.forms.count)
        for (form, f) in zip(Self.forms, whole) { check(f.line, form, "one buffer") }
        for chunk in [64, 80, 96, 128, 200] {
            let pieces = try scanBytes(Array(text.utf8), Self.probeSet, chunkBytes: chunk)
            #expect(pieces.map(\.line) == whole.map(\.line), "buffers of \(chunk) bytes")
        }
    }

    /// A multi-line event holds both lines: the event's lines are redacted as one text.
    @Test func aMultiLineEventHoldsNameAndValue() throws {
        var m = Multiline(formats: [])
        m.start = #"^\d{4}-"#
        let text = """
        2026-12-02 10:00:00 ERROR deploy failed probe-1 with manifest
          env:
          - name: DB_PASSWORD
            value: Ev3nt_Db_Pass
          - name: API_TOKEN
            value: |
              Ev3nt_Block_Token
        2026-12-02 10:00:01 INFO next

        """
        let f = try scanBytes(Array(text.utf8), Self.probeSet, multiline: m)
        try #require(f.count == 1)
        let lines = f[0].event?.lines ?? []
        #expect(lines.count == 7)
        #expect(!lines.joined().contains("Ev3nt_Db_Pass") && !lines.joined().contains("Ev3nt_Block_Token"), "\(lines)")
        #expect(lines.contains("  - name: DB_PASSWORD") && lines.contains("  - name: API_TOKEN"))
    }
}
