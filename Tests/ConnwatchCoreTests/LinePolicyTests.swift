import Foundation
import Testing
@testable import ConnwatchModel
@testable import ConnwatchEngine

/// One story per line (docs/rule-format.md): the most specific recognised error is the finding, the line's
/// other facts are `related`. Run on the shipped catalog, so the rules are the real ones.
@Suite struct LinePolicyTests {
    static func findings(_ line: String, context: String? = nil) -> (Trace, [Finding]) {
        let scanner = Scanner(ShippedCatalogTests.ruleSet)
        // The per-line budget is wall time: on a loaded machine a descheduled test thread would skip rules.
        scanner.lineBudgetNanoseconds = 10_000_000_000
        return scanner.explain(line: Array(line.utf8), context: context)
    }

    @Test func catalogedAadstsCodeWinsOverGenericOAuthWording() {
        let line = #"{"error":"interaction_required","error_description":"AADSTS50079: The user is required to use multi-factor authentication.\r\nTrace ID: 8d4704cf-5c83-42bb-860b-7a2180d1fa00","error_codes":[50079]}"#
        let (trace, f) = Self.findings(line)
        #expect(f.map(\.rule) == ["aadsts.code"])
        #expect(f.first?.field("code") == "50079")
        #expect(f.first?.codeName != nil)
        #expect(f.first?.related.map(\.rule) == ["graph.interaction-required"])
        #expect(f.first?.related.first?.code == "interaction_required")
        #expect(trace.policy.contains { $0.contains("catalogued AADSTS code is the finding") })
    }

    @Test func consentWordingIsRelatedToItsCode() {
        let line = "Microsoft.Identity.Client.MsalUiRequiredException: AADSTS65001: The user or administrator has not consented to use the application with ID '4e691b14-bffe-456c-af9f-4efdfa12ed52' named 'contoso-sync'."
        let (_, f) = Self.findings(line)
        #expect(f.map(\.rule) == ["aadsts.code"])
        #expect(f.first?.field("code") == "65001")
        #expect(Set(f.first?.related.map(\.rule) ?? []) == ["graph.consent-missing"])
    }

    @Test func uncataloguedCodeStaysRelatedToTheGraphFinding() {
        let line = "[msal-browser] InteractionRequiredAuthError: interaction_required: AADSTS9999999: something new."
        let (_, f) = Self.findings(line)
        #expect(f.map(\.rule) == ["graph.interaction-required"])
        #expect(f.first?.related.map(\.code) == ["9999999"])
        #expect(f.first?.related.first?.codeName == nil)
    }

    @Test func connectorFindingKeepsItsCodesRelated() {
        let line = #"Nov 21 07:49:01 casb-gw01 connector[1234]: TokenRefreshException: {"error":"invalid_grant","error_description":"AADSTS70002: Error validating credentials. AADSTS70008: The provided authorization code or refresh token is expired."#
        let (_, f) = Self.findings(line)
        #expect(f.map(\.rule) == ["connector.office365.token-refresh-expired"])
        #expect(f.first?.related.map(\.code) == ["70002", "70008"])
    }

    @Test func specificGraphTextSupersedesTheStatusRule() {
        let line = #"GET https://graph.microsoft.com/v1.0/teams/8d1e/tags 403 Forbidden {"error":{"code":"Forbidden","message":"Missing role permissions on the request. API requires one of 'TeamworkTag.Read.All'. Roles on the request 'Group.Read.All'."}}"#
        let (_, f) = Self.findings(line)
        #expect(f.map(\.rule) == ["graph.missing-permission"])
        #expect(f.first?.field("http_status") == "403")
        #expect(f.first?.field("required_permissions") == "TeamworkTag.Read.All")
    }

    @Test func connectorStatusLineIsNotAlsoAGraphFinding() {
        let line = "2026-01-12 ERROR list https://graph.microsoft.com/v1.0/users: com.adallom.adalib.httputils.exceptions.HttpRequestFailure: Server returned: 401 Unauthorized"
        let (_, f) = Self.findings(line)
        #expect(f.map(\.rule) == ["connector.shared.http-401-unauthorized"])
        #expect(f.first?.app == "office365")
    }

    @Test func graphStatusNeedsAGraphApiResponse() {
        #expect(Self.findings("GET https://graph.microsoft.com/v1.0/me 401 (Unauthorized)").1.map(\.rule) == ["graph.unauthorized"])
        #expect(Self.findings("GET https://api.powerbi.com/v1.0/myorg/groups 401 (Unauthorized)").1.isEmpty)
        #expect(Self.findings("POST https://login.microsoftonline.com/t/oauth2/v2.0/token scope=https://graph.microsoft.com/.default 401 Unauthorized").1.isEmpty)
    }

    /// Invoke-MgGraphRequest prints the request on one line and the status on the next; grouped into one event
    /// (PowerShell mode) the two make the Graph finding, while neither line alone is one.
    @Test func graphStatusOnTheLineAfterTheRequest() throws {
        let text = """
        Invoke-MgGraphRequest: GET https://graph.microsoft.com/v1.0/me/messages
        HTTP/1.1 401 Unauthorized
        Date: Thu, 04 Jul 2024 18:48:41 GMT
        2024-07-04 18:48:45 INFO next poll

        """
        let grouped = try scanBytes(Array(text.utf8), ShippedCatalogTests.ruleSet, multiline: Multiline.parse("powershell"))
        #expect(grouped.map(\.rule) == ["graph.unauthorized"])
        #expect(grouped.first?.field("http_status") == "401")
        #expect(try scanBytes(Array(text.utf8), ShippedCatalogTests.ruleSet).isEmpty)
    }

    /// github.com/AzureAD/AzureAD-Governance-Assessment/issues/2: the console wrapped the request URL, so the
    /// status line starts the second event; Graph's response headers and body around it make it Graph's.
    @Test func graphResponseDumpWithAWrappedRequestLine() throws {
        let text = """
        Invoke-MgGraphRequest : GET https://graph.microsoft.com/beta/identityGovernance/entitlementManagement/settings?$select=
        externalUserLifecycleAction%2CdaysUntilExternalUserDeletedAfterBlocked
        HTTP/1.1 403 Forbidden
        Transfer-Encoding: chunked
        request-id: 20dfee89-e2a4-4420-9787-378e5ad6fbc2
        Content-Type: application/json
        {"error":{"code":"NoLicense","message":"User is not authorized to perform the operation. Reason: Tenant does not meet
        license requirement!","details":[],"innerError":{"date":"2023-09-08T23:07:16","request-id":"20dfee89-e2a4-4420-9787-378

        """
        let f = try scanBytes(Array(text.utf8), ShippedCatalogTests.ruleSet, multiline: Multiline.parse("powershell"))
        #expect(f.map(\.rule) == ["graph.forbidden"])
        #expect(f.first?.field("http_status") == "403")
    }

    @Test func connectorClassNamesAttributeGenericJavaErrors() {
        let o365 = Self.findings("2026-01-12 03:11:09,412 ERROR [collector-7] com.adallom.appconnector.office365.Office365Connector - java.lang.NullPointerException").1
        #expect(o365.map(\.app) == ["office365"])
        let aws = Self.findings("2026-01-12 03:11:09,412 ERROR [poll-1] c.a.connectors.AwsConnector : org.apache.ignite.IgniteException: boom").1
        #expect(aws.isEmpty, "IgniteException is a Microsoft 365 connector error only")
        let awsNpe = Self.findings("2026-01-12 03:11:09,412 ERROR [poll-1] c.a.connectors.AwsConnector : java.lang.NullPointerException").1
        #expect(awsNpe.map(\.app) == ["aws"])
        #expect(Self.findings("2026-01-12 ERROR [main] com.example.Foo - java.lang.NullPointerException").1.isEmpty)
    }

    @Test func googleOAuthErrorsNeedTheWorkspaceConnector() {
        let line = #"com.google.api.client.auth.oauth2.TokenResponseException: 400 Bad Request {"error" : "invalid_grant"}"#
        #expect(Self.findings(line).1.isEmpty)
        #expect(Self.findings(line, context: "gsuite").1.map(\.rule) == ["connector.gsuite.token-response-400"])
        #expect(Self.findings("ERROR c.a.connectors.GSuiteConnector : " + line).1.map(\.app) == ["gsuite"])
    }

    @Test func serviceTimeoutNeedsConnectorContext() {
        #expect(Self.findings("WARN [grpc] PaymentsClient - Service timeout after 30000 ms calling payments").1.isEmpty)
        #expect(Self.findings("Nov 21 07:49:01 casb-gw01 connector[1234]: Get events: Service timeout").1.map(\.rule)
                == ["connector.all-apps.service-timeout"])
    }

    @Test func managementApiCodesAreLookedUp() {
        let (_, f) = Self.findings(#"GET https://manage.office.com/api/v1.0/8f1c2a4e-3b7d-4c19-9a55-2d6e0f4b7c31/activity/feed/subscriptions/content?contentType=Audit.General failed: {"error":{"code":"AF20055","message":"Invalid parameters."}}"#)
        #expect(f.map(\.rule) == ["connector.office365.management-api-error"])
        #expect(f.first?.codeName == "InvalidParameters")
        #expect(f.first?.app == "office365")
        let catalog = ShippedCatalogTests.ruleSet.catalog.catalogs["o365-management"]?.entries ?? [:]
        #expect(catalog.count >= 20)
    }
}
