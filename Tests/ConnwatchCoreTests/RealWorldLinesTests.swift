import Foundation
import Testing
@testable import ConnwatchModel
@testable import ConnwatchEngine

/// Real error text that no rule example was written from: lines people pasted into public issues, each with the
/// address it was copied from. `mustMatch` lines are single log lines as a client printed them (a pretty-printed
/// body contributes the one line that carries the error); the expected rule is the line's one finding, and
/// `code` the catalog key it must be looked up under. `mustNotMatch` lines are real look-alikes: the same codes
/// and wordings mentioned in code, documentation, changelogs and other services' errors.
@Suite struct RealWorldLinesTests {
    struct Case: Sendable {
        var line: String
        var rule: String
        var code: String? = nil
        var app: String? = nil
        var context: String? = nil
        /// Fields the finding must carry (the ids and the OAuth error, however the client quoted or encoded them).
        var fields: [String: String] = [:]
    }

    static let mustMatch: [Case] = [
        // MARK: AADSTS codes outside the reference page, as clients print them
        // https://github.com/Azure/login/issues/453
        Case(line: "Error: AADSTS700213: No matching federated identity record found for presented assertion subject 'repo:RMI-PACTA/workflow.transition.monitor:ref:refs/heads/update-scenario-es'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. https://docs.microsoft.com/en-us/azure/active-directory/develop/workload-identity-federation Trace ID: 8335980a-8604-4005-a5e1-f678003d5b01 Correlation ID: c3a1f4bb-2b8a-4486-ac4a-fdd45ed43116 Timestamp: 2024-05-31 14:26:23Z",
             rule: "aadsts.code", code: "700213"),
        // https://github.com/Azure/login/issues/461
        Case(line: #"Error: Failed to get existing workspaces: Error retrieving keys for Storage Account "storageAccountName": autorest/Client#Do: Preparing request failed: StatusCode=0 -- Original Error: clientCredentialsToken: received HTTP status 401 with response: {"error":"invalid_client","error_description":"AADSTS700213: No matching federated identity record found for presented assertion subject 'repo:orgName/repoName:pull_request'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. https://docs.microsoft.com/en-us/azure/active-directory/develop/workload-identity-federation Trace ID: traceId Correlation ID: correlationId Timestamp: 2024-06-13 15:40:46Z","error_codes":[700213],"timestamp":"2024-06-13 15:40:46Z","trace_id":"traceId","correlation_id":"correlationId"}"#,
             rule: "aadsts.code", code: "700213"),
        // https://github.com/Azure/login/issues/515
        Case(line: "Error: AADSTS7002138: No matching federated identity record found for presented assertion subject 'repo:CODfreak213421/IsocertsgDashboard23:environment:Production'. The subject matches with case-insensitive comparison, but not with case-sensitive comparison. Check your federated identity credential Subject, Audience and Issuer against the presented assertion.",
             rule: "aadsts.code", code: "7002138"),
        // https://github.com/microsoft/Agents/issues/202
        Case(line: #"  "responseBody": "{\"error\":\"invalid_client\",\"error_description\":\"AADSTS7002137: No matching federated identity record found for presented assertion subject '/eid1/c/pub/t/v4j5cvGGr0GRqy180BHbRw/a/9ExAW52n_ky4ZiS_jhpJIQ/7e307b14-2a27-4f66-ada8-ec6400eb4977'. Trace ID: 007fc931-d337-4638-8760-8f5c9c231e00 Correlation ID: bc6ac312-88fd-4b97-8d37-6566985045b9 Timestamp: 2025-07-07 10:30:48Z\",\"error_codes\":[7002137]"#,
             rule: "aadsts.code", code: "7002137"),
        // https://github.com/umijs/umi-request/issues/299
        Case(line: #"{"error":"invalid_request","error_description":"AADSTS9002326: Cross-origin token redemption is permitted only for the 'Single-Page Application' client-type.\r\nTrace ID: 0c7f2993-b612-434d-9cee-244e88f51600\r\nCorrelation ID: 45d80262-c77f-487b-a95b-4566c736e1bc\r\nTimestamp: 2022-06-07 19:14:30Z","error_codes":[9002326],"timestamp":"2022-06-07 19:14:30Z","trace_id":"0c7f2993-b612-434d-9cee-244e88f51600","correlation_id":"45d80262-c77f-487b-a95b-4566c736e1bc","error_uri":"https://login.windows.net/error?code=9002326"}"#,
             rule: "aadsts.code", code: "9002326"),
        // https://github.com/Azure-Samples/ms-identity-javascript-angular-tutorial/issues/37
        Case(line: "ERROR ServerError: invalid_request: 9002326 - [2021-09-03 14:20:13Z]: AADSTS9002326: Cross-origin token redemption is permitted only for the 'Single-Page Application' client-type.",
             rule: "aadsts.code", code: "9002326"),
        // https://github.com/vibber-ai/fastapi-azure-auth/issues/47
        Case(line: "description: AADSTS9002326: Cross-origin token redemption is permitted only for the 'Single-Page Application' client-type.",
             rule: "aadsts.code", code: "9002326"),
        // https://github.com/microsoftgraph/msgraph-sdk-powershell/issues/2598
        Case(line: "Connect-MgGraph : InteractiveBrowserCredential authentication failed: AADSTS650053: The application 'Microsoft Graph Command Line Tools' asked for scope 'TeamSettings.Read.Group' that doesn't exist on the resource '00000003-0000-0000-c000-000000000000'. Contact the app vendor. Trace ID: 70a37f20-cf7a-45c8-ae66-7d4519490a00 Correlation ID: a9c0313e-dab9-4029-8efd-371770ae3ef3 Timestamp: 2024-02-16 19:10:38Z",
             rule: "aadsts.code", code: "650053"),
        // https://github.com/alixandru/q2a-open-login/issues/89
        Case(line: ">AADSTS900144: The request body must contain the following parameter: 'scope'.",
             rule: "aadsts.code", code: "900144"),
        // https://github.com/clocked0ne/passport-outlook/issues/16
        Case(line: "Message: AADSTS500201: We are unable to issue tokens from this API version for a Microsoft account. Please contact the application vendor as they need to use version 2.0 of the protocol to support",
             rule: "aadsts.code", code: "500201"),
        // https://github.com/heymind/OneDrive-Index-Cloudflare-Worker/issues/51
        Case(line: #""error_description":"AADSTS90023: Cross-origin token redemption is permitted only for the 'Single-Page Application' client-type.\r\n"#,
             rule: "aadsts.code", code: "90023"),

        // MARK: one story per line: the catalogued AADSTS code wins over the generic OAuth wording
        // https://github.com/Azure/azure-kusto-python/issues/89
        Case(line: #"AdalError: Get Token request returned http error: 400 and server response: {"error":"interaction_required","error_description":"AADSTS50079: The user is required to use multi-factor authentication.\r\nTrace ID: 8d4704cf-5c83-42bb-860b-7a2180d1fa00\r\nCorrelation ID: 87014a28-6bc1-4413-8592-ec1aac63646e\r\nTimestamp: 2018-12-31 20:57:33Z","error_codes":[50079],"timestamp":"2018-12-31 20:57:33Z","trace_id":"8d4704cf-5c83-42bb-860b-7a2180d1fa00","correlation_id":"87014a28-6bc1-4413-8592-ec1aac63646e","suberror":"basic_action"}"#,
             rule: "aadsts.code", code: "50079"),
        // https://github.com/juunas11/aspnetcore2aadauth/issues/6
        Case(line: "Microsoft.IdentityModel.Clients.ActiveDirectory.AdalServiceException: AADSTS50079: The user is required to use multi-factor authentication.",
             rule: "aadsts.code", code: "50079"),
        // https://github.com/AzureAD/microsoft-authentication-library-for-dotnet/issues/3665
        Case(line: "An exception occurred while getting user token from AAD. TenantId:XX Audience:XX, exception message:AADSTS50076: Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access 'XX'.",
             rule: "aadsts.code", code: "50076"),
        // https://github.com/AzureAD/microsoft-authentication-library-for-js/issues/1937
        Case(line: "ERROR Error: Uncaught (in promise): InteractionRequiredAuthError: AADSTS50076: Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '2d5c1a48-588c-475a-9f33-65cf44627f3b'.",
             rule: "aadsts.code", code: "50076"),
        // https://github.com/microsoft/vscode-azure-account/issues/971
        Case(line: #"Error Message: Get redacted:key returned http error: 400 and server response: {"error":"interaction_required","error_description":"AADSTS50076: Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access 'redacted:id'. Trace ID: redacted:id Correlation ID: redacted:id Timestamp: redacted:id redacted:id07Z","error_codes":[redacted:id]"#,
             rule: "aadsts.code", code: "50076"),
        // https://github.com/Azure-Samples/active-directory-java-webapp-openidconnect/issues/27
        Case(line: #"Exception in thread "main" java.util.concurrent.ExecutionException: com.microsoft.aad.adal4j.AdalClaimsChallengeException: {"error_description":"AADSTS50079: The user is required to use multi-factor authentication.\r\nTrace ID: e64a62a5-d785-495c-80bf-f08ecf5c0d00\r\nCorrelation ID: 0a47406b-0f6e-4fd8-a531-cbe6c15a729e\r\nTimestamp: 2018-12-13 01:03:36Z","error":"interaction_required"}"#,
             rule: "aadsts.code", code: "50079"),
        // https://github.com/auth0/passport-azure-ad-oauth2/issues/33
        Case(line: "TokenError: AADSTS50076: Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access",
             rule: "aadsts.code", code: "50076"),

        // MARK: Microsoft Graph 401/403 as clients print them
        // https://github.com/microsoftgraph/python-sample-auth/issues/12
        Case(line: "{'error': {'code': 'Authorization_RequestDenied', 'message': 'Insufficient privileges to complete the operation.', 'innerError': {'request-id': '15038357-2dee-45b7-9d84-a3adae7b7c47', 'date': '2018-12-12T21:43:28'}}}",
             rule: "graph.insufficient-privileges", code: "Authorization_RequestDenied"),
        // https://github.com/microsoftgraph/dotnetcore-console-sample/issues/44
        Case(line: "ServiceException: Code: Authorization_RequestDenied", rule: "graph.insufficient-privileges"),
        // https://github.com/microsoftgraph/microsoft-graph-docs-contrib/issues/8353
        Case(line: "  code: Authorization_RequestDenied,", rule: "graph.insufficient-privileges"),
        // https://github.com/microsoftgraph/msgraph-sdk-powershell/issues/1289
        Case(line: "Get-MgServicePrincipal_Get2: Insufficient privileges to complete the operation.", rule: "graph.insufficient-privileges"),
        // https://github.com/Azure-Samples/active-directory-dotnet-graphapi-console/issues/38
        Case(line: #"> DataServiceClientException: {"odata.error":{"code":"Authorization_RequestDenied","message":{"lang":"en","value":"Insufficient privileges to complete the operation."}}}"#,
             rule: "graph.insufficient-privileges"),
        // https://github.com/microsoft/Intune-Resource-Access/issues/112
        Case(line: #"com.microsoft.intune.scepvalidation.IntuneClientHttpErrorException: {"odata.error":{"date":"2021-09-29T14:51:28","code":"Authorization_RequestDenied","requestId":"fe36e250-b195-4663-8d97-7f41161dd500","message":{"lang":"en","value":"Insufficient privileges to complete the operation."}}}"#,
             rule: "graph.insufficient-privileges"),
        // https://github.com/srozemuller/IntuneAssistant/issues/6
        Case(line: #"  "Message": "Application is not authorized to perform this operation. Application must have one of the following scopes: DeviceManagementConfiguration.Read.All, DeviceManagementConfiguration.ReadWrite.All - Operation ID (for customer support): 00000000-0000-0000-0000-000000000000 - Activity ID: 8191cc94-6c68-4ae6-a843-dcb7f44d2765 - Url: https://fef.amsua0202.manage.microsoft.com/DeviceConfiguration_2311/StatelessDeviceConfigurationFEService/deviceManagement/deviceCompliancePolicies?api-version=5023-10-14&$expand=assignments","#,
             rule: "graph.missing-permission"),
        // https://github.com/EUCPilots/vcredist/issues/137
        Case(line: #"  "Message": "Application is not authorized to perform this operation. Application must have one of the following"#,
             rule: "graph.missing-permission"),
        // https://github.com/microsoft/Intune-PowerShell-SDK/issues/121
        Case(line: #"\"Message\": \"Application is not authorized to perform this operation as called in app only context but does not have application"#,
             rule: "graph.missing-permission"),
        // https://github.com/OfficeDev/microsoft-teams-library-js/issues/2341
        Case(line: "`Missing role permissions on the request. API requires one of 'TeamMember.Read.All, TeamMember.ReadWrite.All, Group.Read.All, Group.ReadWrite.All, TeamMember.Read.Group, Member.Read.Group'. Roles on the request 'Group.Selected'`",
             rule: "graph.missing-permission"),
        // https://github.com/MicrosoftDocs/msteams-docs/issues/6611
        Case(line: "Missing role permissions on the request. API requires one of 'TeamMember.ReadWriteNonOwnerRole.All, TeamMember.ReadWrite.All, Group.ReadWrite.All'. Roles on the request 'TeamMember.Read.All, Teamwork.Migrate.All, Group.Read.All, Team.Create, Group.Create, Directory.Read.All, User.Read.All, Team.ReadBasic.All'.",
             rule: "graph.missing-permission"),
        // https://github.com/microsoftgraph/microsoft-graph-docs/issues/8681
        Case(line: #"Pa {statusCode: 403, code: "accessDenied", message: "Access denied", requestId: "05e9a341-5b3c-47ed-b4aa-56b615055d5b", date: Wed Jun 10 2020 14:53:58 GMT-0400 (Eastern Daylight Time), …} body: "{"code":"accessDenied","message":"Access denied","innerError":{"date":"2020-06-10T14:53:58","request-id":"05e9a341-5b3c-47ed-b4aa-56b615055d5b"}}" code: "accessDenied""#,
             rule: "graph.access-denied"),
        // https://github.com/microsoftgraph/msgraph-sdk-dotnet/issues/1751
        Case(line: #"{"error":{"code":"MissingCredentials","message":"Valid Authorization header is needed."}}"#, rule: "graph.token-missing"),
        // https://github.com/microsoftgraph/console-java-connect-sample/issues/1
        Case(line: #"    "code": "InvalidAuthenticationToken","#, rule: "graph.token-invalid"),
        // https://github.com/microsoftgraph/console-java-connect-sample/issues/1
        Case(line: #"    "message": "Access token validation failure.","#, rule: "graph.token-invalid"),
        // https://github.com/jgraph/drawio/issues/180
        Case(line: #"> [OneDriveSDK Error] errorType: webRequestFailure, message: graph/me request failed, status code: '403', response text: '{ "error": { "code": "-2147024891, System.UnauthorizedAccessException", "message": "Zugriff verweigert. Sie haben keine Berechtigung, diesen Vorgang auszuführen oder auf diese Ressource zuzugreifen.", "innerError": { "request-id": "34f2dfb5-b20e-4514-bee6-bb79601a1147", "date": "2017-11-27T08:08:51" } } }'"#,
             rule: "graph.forbidden"),
        // https://github.com/ThomasKur/M365Documentation/issues/39
        Case(line: #"     | {"error":{"code":"UnknownError","message":"{\"ErrorCode\":\"Forbidden\",\"Message\":\"{\\r\\n  \\\"_version\\\":"#,
             rule: "graph.forbidden"),
        // https://github.com/microsoftgraph/microsoft-graph-docs/issues/2004
        Case(line: #"`{"error": {"code": "unauthenticated", "message": "Access denied. You do not have permission to perform this action or access this resource.", "innerError": {"request-id": "9bcb965f-c807-4250-bc96-c8f1199f6404", "date": "2017-11-27T18:17:19"}}}`"#,
             rule: "graph.unauthorized"),
        // https://github.com/RogerSelwyn/O365-HomeAssistant/issues/260
        Case(line: "Client Error: 403 Client Error: Forbidden for url: https://graph.microsoft.com/v1.0/me/chats?%24top=20 | Error Message: No authorization information present on the request. | Error Code:",
             rule: "graph.no-authorization-info"),
        // https://github.com/kayasax/EasyPIM/issues/37 (the status line and the URL line, as one event prints them)
        Case(line: "Details: GET https://graph.microsoft.com/v1.0/identityGovernance/privilegedAccess/group/eligibilitySchedules?$filter=groupId%20eq%20'46d4c7fa-293d-4919-a2ac-d80ae90cb1fb'&$expand=principal HTTP/2.0 403 Forbidden",
             rule: "graph.forbidden"),

        // https://github.com/microsoftgraph/csharp-teams-sample-graph/issues/31
        Case(line: "Microsoft.Graph : One or more errors occurred. (Message: This request is forbidden. Inner error )", rule: "graph.forbidden"),
        // https://github.com/pnp/sp-dev-fx-webparts/issues/3793
        Case(line: "Receiving a 403 (Forbidden) when calling MS Graph, https://graph.microsoft.com/v1.0/admin/serviceAnnouncement/healthOverviews?$expand=issues.",
             rule: "graph.forbidden"),
        // https://github.com/microsoftgraph/microsoft-graph-docs-contrib/issues/5717
        Case(line: #""message": "{\"errorCode\":\"GraphTokenValidationFail\",\"message\":\"MS Graph token validation fail\",\"target\":null,\"details\":null,\"innerError\":null,\"instanceAnnotations\":[]}","#,
             rule: "graph.unauthorized", code: "GraphTokenValidationFail"),

        // https://github.com/oauth2-proxy/oauth2-proxy/issues/2517
        Case(line: #"[Support]: '{"error":{"code":"InvalidAuthenticationToken","message":"Access token validation failure. Invalid audience.","innerError":{"date":"2024-02-20T13:53:31","request-id":"8d9fc07c-848f-4ef7-844"#,
             rule: "graph.invalid-audience"),
        // https://github.com/microsoftgraph/microsoft-graph-docs/issues/16208
        Case(line: #"        "message": "Access token validation failure. Invalid audience.","#, rule: "graph.invalid-audience"),
        // https://github.com/ahaenggli/AzureAD-LDAP-wrapper/issues/45
        Case(line: #"errorMessage: "7000215 - [2023-03-05 22:32:01Z]: AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app 'appid'.\r\n" + | stdout"#,
             rule: "aadsts.code", code: "7000215"),
        // https://github.com/microsoftgraph/msgraph-cli/issues/383
        Case(line: "Unhandled exception: Azure.Identity.AuthenticationFailedException: ClientSecretCredential authentication failed: A configuration issue is preventing authentication - check the error message from the server for details. You can modify the configuration in the application registration portal. See https://aka.ms/msal-net-invalid-client for details.  Original exception: AADSTS7000215: Invalid client secret provided. Ensure the secret be",
             rule: "aadsts.code", code: "7000215"),
        // https://github.com/OfficeDev/microsoft-365-agents-toolkit/issues/8621
        Case(line: #"onTurnError] unhandled error: Error: Get Token request returned http error: 401 and server response: {"error":"invalid_client","error_description":"**AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app 'a8fdfbd0-da97-42d9-8f1a-fd6a7cb650b4'.\r\n**race ID: 6f6c4645-0202-4486-b625-fa957dfc4700","error_codes":[7000215]}"#,
             rule: "aadsts.code", code: "7000215"),
        // https://github.com/microsoftgraph/contoso-airlines-teams-sample/issues/11
        Case(line: "AADSTS7000215: Invalid client secret is provided. Trace ID: 02f6f1c8-78b8-44f9-9576-66a55b4aa100 Correlation ID: 52f513ad-39d9-4eb4-b1a9-281571228968 Timestamp: 2021-09-13 23:21:24Z",
             rule: "aadsts.code", code: "7000215"),
        // https://github.com/sjkp/letsencrypt-siteextension/issues/227
        Case(line: "      AADSTS50012: Invalid client secret is provided.", rule: "aadsts.code", code: "50012"),
        // https://github.com/JayRHa/Intune-Scripts/issues/14 (the response body line of an Invoke-MgGraphRequest dump)
        Case(line: #"{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation.","innerError":{"date":"2023-08-17T08:34:09","request-id":"xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"}}}"#,
             rule: "graph.insufficient-privileges"),
        // https://github.com/6mb/Microsoft-365-Admin/issues/13
        Case(line: "Error code: Authorization_RequestDeniedError message: Insufficient privileges to complete the operation.",
             rule: "graph.insufficient-privileges"),

        // MARK: found in a second search (issues and public code); rules were generalised after these were tested
        // public code found with find_string (stored file id 66830144474)
        Case(line: "       Error: 401 Client Error: Unauthorized for url: https://graph.microsoft.com/v1...",
             rule: "graph.unauthorized"),
        // public code found with find_string (stored file id 52629396795)
        Case(line: "401 Client Error: Unauthorized for url: https://graph.microsoft.com/v1.0/me/mailFolders/inbox/messages",
             rule: "graph.unauthorized"),
        // public code found with find_string (stored file id 67220211986)
        Case(line: "401 Client Error: Unauthorized for url: https://graph.microsoft.com/v1.0/me/drive/root/children",
             rule: "graph.unauthorized"),
        // https://github.com/AzureAD/microsoft-authentication-library-for-python/issues/695
        Case(line: #"{"error":"invalid_client","error_description":"AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'. Trace ID: 2113cd76-ec33-42eb-92f4-cb24256b4200 Correlation ID: 5ab9546b-4eb7-45bf-a245-4c3460cbfc8e Timestamp: 2024-04-26 18:48:34Z","error_codes":[7000218],"timestamp":"2024-04-26 18:48:34Z","trace_id":"2113cd76-ec33-42eb-92f4-cb24256b4200","correlation_id":"5ab9546b-4eb7-45bf-a245-4c3460cbfc8e","error_uri":"https://login.microsoftonline.us/error?code=7000218"}"#,
             rule: "aadsts.code", code: "7000218"),
        // https://github.com/Azure-Samples/active-directory-dotnet-desktop-msgraph-v2/issues/52
        Case(line: "Microsoft.Identity.Client.MsalUiRequiredException: AADSTS70000: The provided value for the 'code' parameter is not valid.",
             rule: "aadsts.code", code: "70000"),
        // https://github.com/microsoftgraph/msgraph-sdk-php/issues/1204
        Case(line: #"it always responds for me: \"code\":\"ErrorAccessDenied\",\"message\":\"Access is denied. Check credentials and try again.\"}"#,
             rule: "graph.mailbox-access-denied"),
        // https://github.com/kartverket/skyline/issues/78
        Case(line: "WARN msg=could not send email trace-id=d36a930a-fd95-11ee-afb8-0242ac120002 error=[MS Graph API] Access is denied. Check credentials and try again. (code=ErrorAccessDenied, message='Access is denied. Check credentials and try again.')",
             rule: "graph.mailbox-access-denied"),
        // https://github.com/microsoftgraph/msgraph-sample-pythondjangoapp/issues/29
        Case(line: "{'error': {'code': 'ErrorAccessDenied', 'message': 'Access is denied. Check credentials and try again.', 'innerError': {'request-id': 'd6803fce-e258-4627-bc8d-f0ab25c84a94', 'date': '2020-01-09T06:05:28'}}}",
             rule: "graph.mailbox-access-denied"),
        // https://github.com/microsoftgraph/msgraph-sdk-php/issues/1094
        Case(line: #"PHP Fatal error:  Uncaught GuzzleHttp\Exception\ClientException: Client error: `GET https://graph.microsoft.com/v1.0/me/messages` resulted in a `403 Forbidden` response:"#,
             rule: "graph.forbidden"),
        // https://github.com/microsoftgraph/msgraph-sdk-php/issues/1094
        Case(line: #"{"error":{"code":"ErrorAccessDenied","message":"Access is denied. Check credentials and try again."}}"#,
             rule: "graph.mailbox-access-denied"),
        // https://github.com/OfficeDev/outlook-dev-docs/issues/676
        Case(line: "Client error: `GET https://graph.microsoft.com/v1.0/me/events?%24select=subject%2Cstart%2Cend&%24orderby=Start%2FDateTime&%24top=10` resulted in a `403 Forbidden` response:",
             rule: "graph.forbidden"),
        // https://github.com/microsoft/intune-my-macs/issues/10
        Case(line: "Failed to process policy 'CFG-IDP-001 - Entra Platform SSO': POST | https://graph.microsoft.com/beta/deviceManagement/configurationPolicies HTTP/2.0 403 Forbidden Vary:",
             rule: "graph.forbidden"),
        // https://github.com/microsoftgraph/microsoft-graph-docs-contrib/issues/7725
        Case(line: "Error: Failure - Status Code 403, 382msLooks like you may not have the permissions for this call. Please modify your permissions.",
             rule: "graph.forbidden"),
        // https://github.com/microsoft/Intune-ACSC-Windows-Hardening-Guidelines/issues/14
        Case(line: #"        "message": "{\r\n  \"_version\": 3,\r\n  \"Message\": \"Application is not authorized to perform this operation. Application must have one of the following scopes: DeviceManagementConfiguration.ReadWrite.All - Operation ID (for customer support): 00000000-0000-0000-0000-000000000000 - Activity ID: d8d4fea4-bac5-3a83-88fd-0e43cd5b0505 - Url: https://fef.msud01.manage.microsoft.com/DeviceManagementIntent/DeviceManagementIntentService/83661860-ffff-7001-0507-062012292948/deviceManagement/templates('0e237410-1367-4844-bd7f-15fb0f08943b')/microsoft.management.services.api.createInstance?api-version=5020-08-21\",\r\n  \"CustomApiErrorPhrase\": \"\",\r\n  \"RetryAfter\": null,\r\n  \"ErrorSourceService\": \"\",\r\n  \"HttpHeaders\": \"{}\"\r\n}","#,
             rule: "graph.missing-permission"),
        // https://github.com/microsoftgraph/nodejs-apponlytoken-rest-sample/issues/17
        Case(line: "> Insufficient privileges to complete the operation.",
             rule: "graph.insufficient-privileges"),

        // MARK: Office 365 Management Activity API AF codes
        // https://github.com/wazuh/wazuh/issues/29674
        Case(line: #"2025-05-15 09:16:33: [ERROR] Error while retrieving Office 365 activity logs: ('Request ', 'GET', ' ', 'https://manage.office.com/api/v1.0/bfd0a2f0-4e05-4596-a84e-dfd5db1fffca/activity/feed/subscriptions/content?contentType=DLP.All&startTime=2025-05-13T23:16:33&endTime=2025-05-14T23:16:33', ' failed with ', 400, ' - ', '{"error":{"code":"AF20023","message":"The subscription was disabled."}}')."#,
             rule: "connector.office365.subscription-disabled-af20023", app: "office365"),
        // https://github.com/microsoft/Office365APIEditor/issues/1
        Case(line: "Internal Server Error, 500, {'error':{'code':'AF50000','message':'An internal error occurred.  Retry the request.'}}",
             rule: "connector.office365.management-api-error", code: "AF50000", app: "office365"),
        // https://github.com/microsoftgraph/microsoft-graph-docs/issues/841
        Case(line: #"I got the error message "{"error":{"code":"AF50000","message":"Please retry the request again in an hour. We have been notified and would be resolved soon."}}" with 500 return code."#,
             rule: "connector.office365.management-api-error", code: "AF50000"),
        // https://github.com/OfficeDev/O365-InvestigationTooling/issues/1
        Case(line: #"i get an error "error":{"code":"AF20022","message":"No subscription found for the specified content type.""#,
             rule: "connector.office365.management-api-error", code: "AF20022"),
        // https://github.com/microsoft/coe-starter-kit/issues/2807
        Case(line: #"    "code": "AF20024","#, rule: "connector.office365.management-api-error", code: "AF20024"),
        // https://github.com/MicrosoftDocs/office-365-management-api/issues/479
        Case(line: #"        "code": "AF20023","#, rule: "connector.office365.management-api-error", code: "AF20023"),
        // MARK: collected for the recognition/precision pass of issue 12 (none copied into rule examples)
        // https://github.com/Azure/azure-cli/issues/31959 (az called from Node, stderr inside an error object)
        Case(line: #"  stderr: 'ERROR: V2Error: invalid_grant AADSTS700082: The refresh token has expired due to inactivity. The token was issued on 2025-05-02T16:43:10.2836664Z and was inactive for 12:00:00. Trace ID: 23b5c9ef-0006-4c36-99ea-06fc3fe4a300 Correlation ID: df04c783-ecf8-456c-9681-fbad80d14468 Timestamp: 2025-08-18 16:27:01Z. Status: Response_Status.Status_InteractionRequired, Error code: 3399614467, Tag: 558133255\r\n'"#,
             rule: "aadsts.code", code: "700082"),
        // https://github.com/hashicorp/terraform-provider-azuread/issues/586
        Case(line: "_Error: building client: unable to obtain access token: running Azure CLI: exit status 1: ERROR: AADSTS50005: User tried to log in to a device from a platform (Unknown) that's currently not supported through Conditional Access policy. Supported device platforms are: iOS, Android, Mac, and Windows flavors._",
             rule: "aadsts.code", code: "50005"),
        // https://github.com/MicrosoftDocs/azure-docs/issues/96851
        Case(line: #"{"error":"invalid_request","error_description":"AADSTS1002016: You are using TLS version 1.0, 1.1 and/or 3DES cipher which are deprecated to improve the security posture of Azure AD. Your TenantID is: {tenant_id}. Please refer to https://go.microsoft.com/fwlink/?linkid=2161187 and conduct needed actions to remediate the issue. For further questions, please contact your administrator."}"#,
             rule: "aadsts.code", code: "1002016"),
        // https://github.com/Azure/azure-sdk-for-python/issues/1439
        Case(line: "msrest.exceptions.AuthenticationError: , InvalidClientIdError: (invalid_request) AADSTS50059: No tenant-identifying information found in either the request or implied by any provided credentials.",
             rule: "aadsts.code", code: "50059"),
        // https://github.com/microsoftgraph/msgraph-sdk-powershell/issues/2552
        Case(line: "2024-01-31T13:25:37Z   [Error]   ERROR: [Authorization_RequestDenied] : Insufficient privileges to complete the operation.",
             rule: "graph.insufficient-privileges"),
        // https://github.com/microsoftgraph/angular-connect-rest-sample/issues/14
        Case(line: "angular.js:10514 GET https://graph.microsoft.com/v1.0/me 401 (Unauthorized)", rule: "graph.unauthorized"),
        // https://github.com/microsoftgraph/msgraph-sample-android/issues/29
        Case(line: "com.microsoft.graph.http.GraphServiceException: Error code: ErrorAccessDenied", rule: "graph.mailbox-access-denied"),
        // https://github.com/shedaltd/react-native-azure-ad-2/issues/45
        Case(line: #"{"error": {"code": "InvalidAuthenticationToken", "innerError": {"client-request-id": "02be882d-a85d-4d05-87ef-03df8deeab26", "date": "2022-07-19T11:36:45", "request-id": "02be882d-a85d-4d05-87ef-03df8deeab26"}, "message": "CompactToken parsing failed with error code: 80049217"}}"#,
             rule: "graph.token-malformed"),
        // https://github.com/microsoftgraph/csharp-teams-sample-graph/issues/31
        Case(line: "Microsoft.Graph : One or more errors occurred. (Message: This request is forbidden. Inner error )", rule: "graph.forbidden"),
        // https://github.com/microsoft/coe-starter-kit/issues/9110
        Case(line: #"    "code": "AF20023","#, rule: "connector.office365.management-api-error", code: "AF20023"),
        // https://github.com/AzureAD/microsoft-authentication-library-for-objc/issues/1261 (MSAL for iOS: the message
        // under a key ending in "DescriptionKey" is not a key's secret, so the code stays readable and is looked up)
        Case(line: "MSALErrorDescriptionKey=AADSTS500011:+The+resource+principal+named+https://xxxxxxx+was+not+found+in+the+tenant+named+33440fc6-b7c7-412c-bb73-0e70b0198d5a.+This+can+happen+if+the+application+has+not+been+installed+by+the+administrator+of+the+tenant+or+consented+to+by+any+user+in+the+tenant.+You+might+have+sent+your+authentication+request+to+the+wrong+tenant.",
             rule: "aadsts.code", code: "500011"),
        // MARK: wording pass of 2026-12-02: the ids and the error as clients quote and encode them, the sign-in page's
        // troubleshooting details, bodies whose message starts with quoted names, AAD Graph's odata.error
        // https://github.com/JonathanHolvey/sharepy/issues/73 (the sign-in page's details copied on one line)
        Case(line: "Request Id: 8fdc0a48-915a-4099-b368-bf7ac719bf00 Correlation Id: e2af9d80-f80a-4465-ac5b-3ce95baa4b9b Timestamp: 2022-12-12T01:17:25Z Message: AADSTS90023: Invalid STS request.",
             rule: "aadsts.code", code: "90023",
             fields: ["trace_id": "8fdc0a48-915a-4099-b368-bf7ac719bf00", "correlation_id": "e2af9d80-f80a-4465-ac5b-3ce95baa4b9b", "timestamp": "2022-12-12T01:17:25Z"]),
        // https://github.com/BingAds/BingAds-Python-SDK/issues/279
        Case(line: "error_code: invalid_grant, error_description: AADSTS70000: The provided value for the input parameter 'refresh_token' or 'assertion' is not valid. Trace ID: 91af4011-2822-4038-b029-ddd8c46caf00 Correlation ID: ee3f808b-2662-4eca-ad60-c824a57f2719 Timestamp: 2024-04-15 18:41:56Z",
             rule: "aadsts.code", code: "70000",
             fields: ["error": "invalid_grant", "trace_id": "91af4011-2822-4038-b029-ddd8c46caf00", "correlation_id": "ee3f808b-2662-4eca-ad60-c824a57f2719"]),
        // https://github.com/AzureAD/microsoft-authentication-library-for-android/issues/558 (Python 2's repr, one line of it)
        Case(line: #" u'error_description': u'AADSTS9002313: Invalid request. Request is malformed or invalid.\r\nTrace ID: db3676d4-5d5d-4104-96c9-f3fd92d01300\r\nCorrelation ID: 6678c42e-6935-4f53-86e9-f00f5a31f8c2\r\nTimestamp: 2019-06-04 10:06:54Z',"#,
             rule: "aadsts.code", code: "9002313",
             fields: ["trace_id": "db3676d4-5d5d-4104-96c9-f3fd92d01300", "correlation_id": "6678c42e-6935-4f53-86e9-f00f5a31f8c2"]),
        // Microsoft's v2-admin-consent.md (azure-docs, stored file id 29293974799), its error response: the redirect URL-encodes the ids
        Case(line: "http://localhost/myapp/permissions?error=consent_required&error_description=AADSTS65004%3a+The+resource+owner+or+authorization+server+denied+the+request.%0d%0aTrace+ID%3a+d320620c-3d56-42bc-bc45-4cdd85c41f00%0d%0aCorrelation+ID%3a+8478d534-5b2c-4325-8c2c-51395c342c89%0d%0aTimestamp%3a+2019-09-24+18%3a34%3a26Z&admin_consent=True&tenant=fa15d692-e9c7-4460-a743-29f2956fd429&state=12345",
             rule: "aadsts.code", code: "65004",
             fields: ["error": "consent_required", "trace_id": "d320620c-3d56-42bc-bc45-4cdd85c41f00", "correlation_id": "8478d534-5b2c-4325-8c2c-51395c342c89"]),
        // https://github.com/davidjrh/dnn.azureadprovider/issues/112
        Case(line: #"WebResponse exception: {"error":"invalid_grant","error_description":"AADSTS9002313: Invalid request. Request is malformed or invalid. Trace ID: 416deea9-9d5c-4cbe-81eb-e6397b902000 Correlation ID: bd487592-f96d-48f0-b095-f9ade4b75d45 Timestamp: 2024-10-03 18:40:55Z","error_codes":[9002313],"timestamp":"2024-10-03 18:40:55Z"#,
             rule: "aadsts.code", code: "9002313",
             fields: ["error": "invalid_grant", "trace_id": "416deea9-9d5c-4cbe-81eb-e6397b902000", "correlation_id": "bd487592-f96d-48f0-b095-f9ade4b75d45"]),
        // https://github.com/haystackeditor/haystack-editor/issues/41
        Case(line: #""error_description":"AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'. Trace ID: 6ee9ec92-6726-422a-85ce-86a1a6502800 Correlation ID: 521b9148-40bc-455a-ace1-c13802e053eb Timestamp: 2024-12-03 13:51:30Z","#,
             rule: "aadsts.code", code: "7000218",
             fields: ["trace_id": "6ee9ec92-6726-422a-85ce-86a1a6502800", "correlation_id": "521b9148-40bc-455a-ace1-c13802e053eb", "timestamp": "2024-12-03 13:51:30Z"]),
        // https://github.com/vgrem/phpSPO/pull/44 (PHP's print_r of the error body)
        Case(line: "    [error_description] => AADSTS70002: The request body must contain the following parameter: 'client_secret or client_assertion'.",
             rule: "aadsts.code", code: "70002"),
        // https://github.com/O365/python-o365/issues/469
        Case(line: "Unable to fetch auth token. Error: (invalid_client) AADSTS700025: Client is public so neither 'client_assertion' nor 'client_secret' should be presented.",
             rule: "aadsts.code", code: "700025"),
        // https://github.com/microsoft/azure-tools-for-java/issues/7446 (msal4j inside IntelliJ's log event)
        Case(line: "IdeaLoggingEvent[message=[Correlation ID: 444f9fbd-6891-4134-a02a-a38c3556760f] Execution of class com.microsoft.aad.msal4j.AcquireTokenSilentSupplier failed., throwable=com.microsoft.aad.msal4j.MsalInteractionRequiredException: AADSTS50076: Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '797f4846-ba00-4fd7-ba43-dac1f8f63013'.",
             rule: "aadsts.code", code: "50076", fields: ["correlation_id": "444f9fbd-6891-4134-a02a-a38c3556760f"]),
        // https://github.com/Azure-Samples/active-directory-java-graphapi-web/issues/4 (Azure AD Graph's odata.error)
        Case(line: #"Error:Authorization_RequestDenied! Insufficient privileges to complete the operation. {"odata.error":{"code":"Authorization_RequestDenied","message":{"lang":"en","value":"Insufficient privileges to complete the operation."}}}"#,
             rule: "graph.insufficient-privileges"),
        // https://github.com/pnp/PnP/issues/1795
        Case(line: #"---> (Inner Exception #0) Microsoft.Data.OData.ODataErrorException: Insufficient privileges to complete the operation. ---> System.Data.Services.Client.DataServiceQueryException: An error occurred while processing this request. ---> System.Data.Services.Client.DataServiceClientException: {"odata.error":{"code":"Authorization_RequestDenied","message":{"lang":"en","value":"Insufficient privileges to complete the operation."}}}"#,
             rule: "graph.insufficient-privileges"),
        // https://github.com/RogerSelwyn/O365-HomeAssistant/issues/260
        Case(line: "Client Error: 403 Client Error: Forbidden for url: https://graph.microsoft.com/v1.0/me/chats?%24top=20 | Error Message: No authorization information present on the request. | Error Code:",
             rule: "graph.no-authorization-info"),
        // https://github.com/Jannos-443/PRTG-M365/issues/11 (a French .NET status text)
        Case(line: " <text>Could not MS Graph  https://graph.microsoft.com/v1.0/applications. Error: Le serveur distant a retourné une erreur : (403) Interdit.</text>",
             rule: "graph.forbidden"),

        // MARK: app connector errors as the apps' own SDKs and APIs word them (connectors pass of 2026-12-02; these
        // lines are also their rules' examples, with the same addresses)
        // https://github.com/googleworkspace/python-samples/issues/21 (the Admin SDK Reports API, a non-admin account)
        Case(line: #"googleapiclient.errors.HttpError: <HttpError 401 when requesting https://www.googleapis.com/admin/reports/v1/activity/users/all/applications/login?alt=json&maxResults=10 returned "Access denied. You are not authorized to read activity records.">"#,
             rule: "connector.gsuite.reports-access-denied", app: "gsuite"),
        // https://github.com/mbegan/Okta-PSModule/issues/65 (a new API token typed into the module, still refused)
        Case(line: "Write-Error:  errorCode: E0000011; errorSummary: Invalid token provided; errorId: oae5F52UwRnQsOUuKlNn7nhkw  causes:",
             rule: "connector.okta.invalid-api-token", app: "okta"),
        // https://github.com/bugfender/google-drive-audit/issues/4 (the Directory API, an admin who is no super admin)
        Case(line: "Error: error creating service: unable to retrieve users: googleapi: Error 403: Not Authorized to access this resource/api, forbidden",
             rule: "connector.gsuite.admin-sdk-not-authorized", app: "gsuite"),

        // MARK: wording pass of session 7: Salesforce INVALID_SESSION_ID, ServiceNow's 401 body, AWS's key errors and
        // Entra sign-in log records (codes without the AADSTS prefix); none of these lines is a rule example
        // https://github.com/simple-salesforce/simple-salesforce/issues/422 (the REST API refusing a SOAP-login session)
        Case(line: "Response content: [{'message': 'This session is not valid for use with the REST API', 'errorCode': 'INVALID_SESSION_ID'}]",
             rule: "connector.salesforce.invalid-session", app: "salesforce"),
        // https://github.com/davispeixoto/Laravel-5-Salesforce/issues/32 (PHP SOAP client)
        Case(line: "INVALID_SESSION_ID: Invalid Session ID found in SessionHeader: Illegal Session. Session not found, missing session hash: Ye11sapfRyGJUr6vk2IDg+PkGz/wyKYoY8K0z3H2xdc=",
             rule: "connector.salesforce.invalid-session", app: "salesforce"),
        // https://github.com/joeferraro/MavensMate/issues/463 (the tool's own result line)
        Case(line: "   Result: [ERROR]: INVALID_SESSION_ID: Invalid Session ID found in SessionHeader: Illegal Session. Session not found, missing session key: 00Do0000000YN1J!P09uV2pnRxIc3ji7oixCMijejggook9qxviXxLDt5fSkGOZjXUX_NqEEDYIvrH4J1_N5..mMhxr",
             rule: "connector.salesforce.invalid-session", app: "salesforce"),
        // https://github.com/simple-salesforce/simple-salesforce/issues/406 (the Bulk API's XML answer, one line)
        Case(line: "<exceptionCode>InvalidSessionId</exceptionCode>",
             rule: "connector.salesforce.invalid-session", app: "salesforce"),
        // https://github.com/googleworkspace/apps-script-oauth2/issues/115 (Apps Script's Logger, the body on one line)
        Case(line: #"[   {     "message": "Session expired or invalid",     "errorCode": "INVALID_SESSION_ID"   } ]"#,
             rule: "connector.salesforce.invalid-session", app: "salesforce"),
        // https://github.com/jstanden/cerb/issues/836 (Guzzle's 401 response body)
        Case(line: #"[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]"#,
             rule: "connector.salesforce.invalid-session", app: "salesforce"),
        // https://github.com/xgeek-net/salesforce-mass-editor/issues/4 (jsforce's refresh failure in the tool's log)
        Case(line: "[2018-01-23 15:15] [ERROR] invalid_grant: expired access/refresh token",
             rule: "connector.salesforce.refresh-token-expired", app: "salesforce"),
        // public test code found with find_string (stored file id 7186560243): a ServiceNow tool's error as it prints it
        Case(line: #"ServiceNow tool exception. Status: 401. Response: {"error":{"message":"User Not Authenticated","detail":"Required to provide Auth information"}"#,
             rule: "connector.servicenow.not-authenticated-401", app: "servicenow"),
        // public tutorial found with find_string (stored file id 53124157023), one line of the pretty-printed body
        Case(line: #"        "detail": "Required to provide Auth information","#,
             rule: "connector.servicenow.not-authenticated-401", app: "servicenow"),
        // https://github.com/hashicorp/terraform-provider-aws/issues/13695
        Case(line: "Error: error using credentials to get account ID: error calling sts:GetCallerIdentity: InvalidClientTokenId: The security token included in the request is invalid.",
             rule: "connector.aws.credentials-rejected", app: "aws", fields: ["code": "InvalidClientTokenId"]),
        // https://github.com/evanshortiss/sns-mobile/issues/14 (aws-sdk-js v2's error object)
        Case(line: " [InvalidClientTokenId: The security token included in the request is invalid.]",
             rule: "connector.aws.credentials-rejected", app: "aws", fields: ["code": "InvalidClientTokenId"]),
        // https://github.com/joelcox/codeigniter-amazon-ses/issues/25 (the XML body's fields run together)
        Case(line: "Sender InvalidClientTokenId The security token included in the request is invalid 3c9c1cfa-65b4-11e4-86be-93a1f715622b ",
             rule: "connector.aws.credentials-rejected", app: "aws"),
        // https://github.com/aws/aws-sdk-js/issues/508 (a Lambda's log line)
        Case(line: "2015-12-08T04:09:14.975Z\t70ae5588-9d61-11e5-84c0-b5050315e51c\t{ [SignatureDoesNotMatch: The request signature we calculated does not match the signature you provided. Check your key and signing method.]",
             rule: "connector.aws.credentials-rejected", app: "aws", fields: ["code": "SignatureDoesNotMatch"]),
        // https://github.com/aws/aws-sdk-ruby/issues/374
        Case(line: "/Users/mingming/.rvm/gems/ruby-1.9.3-p429@gemset193/gems/aws-sdk-1.19.0/lib/aws/core/client.rb:366:in `return_or_raise': The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details. (AWS::SQS::Errors::SignatureDoesNotMatch)",
             rule: "connector.aws.credentials-rejected", app: "aws"),
        // https://github.com/drminnaar/aws-dotnet-examples/issues/3 (the AWS SDK for .NET)
        Case(line: "Amazon.CognitoIdentityProvider.AmazonCognitoIdentityProviderException: The security token included in the request is invalid.",
             rule: "connector.aws.credentials-rejected", app: "aws"),
        // github.com/elastic/beats x-pack/filebeat/module/azure/signinlogs/test/test-signinlogs-raw.log (second record)
        Case(line: #"{"Level":"4","callerIpAddress":"175.16.199.1","category":"SignInLogs","correlationId":"a8d4eb85-90c5-740d-9af6-7a15036cd135","durationMs":0,"identity":"Test LTest","location":"FR","operationName":"Sign-in activity","operationVersion":"1.0","properties":{"appDisplayName":"Office 365","appId":"8a4de8b5-095c-47d0-a96f-a75130c61d53","clientAppUsed":"Browser","conditionalAccessStatus":"notApplied","correlationId":"8a4de8b5-095c-47d0-a96f-a75130c61d53","createdDateTime":"2019-10-18T04:45:48.0729893-05:00","deviceDetail":{"browser":"Chrome 77.0.3865","deviceId":"","operatingSystem":"MacOs"},"id":"8a4de8b5-095c-47d0-a96f-a75130c61d53","ipAddress":"175.16.199.1","isInteractive":false,"status":{"errorCode":50140,"failureReason":"This error occurred due to 'Keep me signed in' interrupt when the user was signing-in."},"tokenIssuerName":"","tokenIssuerType":"AzureAD","userDisplayName":"Test LTest","userId":"8a4de8b5-095c-47d0-a96f-a75130c61d53","userPrincipalName":"c3813493-bf92-5123-2717-8a8b2979c38b"},"resourceId":"/tenants/8a4de8b5-095c-47d0-a96f-a75130c61d53/providers/Microsoft.aadiam","resultDescription":"This error occurred due to 'Keep me signed in' interrupt when the user was signing-in.","resultSignature":"None","resultType":"50140","tenantId":"8a4de8b5-095c-47d0-a96f-a75130c61d53","time":"2019-10-18T09:45:48.0729893Z"}"#,
             rule: "aadsts.sign-in-log", code: "50140", fields: ["correlation_id": "a8d4eb85-90c5-740d-9af6-7a15036cd135", "app_id": "8a4de8b5-095c-47d0-a96f-a75130c61d53"]),
        // https://github.com/DefGuard/defguard/issues/3556 (an Okta directory sync, the body in a Rust error's string)
        Case(line: #"2026-08-14T12:23:16.426345Z ERROR run_utility_thread: defguard_core::utility_thread: message=There was an error while performing directory sync job: RequestError("Failed to make GET request to https://integrator-1377539.okta.com/api/v1/groups. Status code: 403 Forbidden. Details: {\"errorCode\":\"E0000006\",\"errorSummary\":\"You do not have permission to perform the requested action\",\"errorLink\":\"E0000006\",\"errorId\":\"oae0A0KX4bnQFm2RRBPT-jRxg\",\"errorCauses\":[]}") [2.1.0 Debian 13.0.0 x86_64]"#,
             rule: "connector.okta.permission-denied", app: "okta"),
        // https://github.com/MicrosoftDocs/office-docs-powershell/issues/11332 (EXO V3 with a managed identity; the app id
        // redacted by its reporter)
        Case(line: "The role assigned to application {app id} isn't supported in this scenario. Please check online documentation for assigning correct Directory Roles to Azure AD Application for EXO App-Only Authentication.",
             rule: "connector.exchange-online.app-role-missing", app: "exchange-online"),
        // https://github.com/Microsoft365DSC/Microsoft365DSC/issues/4530 (the error record's FullyQualifiedErrorId line)
        Case(line: "    + FullyQualifiedErrorId : The role assigned to application a-a-a-a-a isn't supported in this scenario. Please check online documentation for assigning correct Di",
             rule: "connector.exchange-online.app-role-missing", app: "exchange-online"),
        // localised labels as learn.microsoft.com's Swedish page on Cloud Sync troubleshooting quotes the errors
        // (stored file id 30428629671; a translated page, not a captured log)
        Case(line: "Ytterligare fel information: CredentialsInvalid AADSTS50034: användar kontot {EmailHidden} finns inte i skydrive365.onmicrosoft.com-katalogen. För att logga in på det här programmet måste kontot läggas till i katalogen. Spårnings-ID: 14b63033-3bc9-4bd4-b871-5eb4b3500200 korrelations-ID: 57d93ed1-be4d-483c-997c-a3b6f03deb00 tidsstämpel: 2021-01-12 21:08:29Z",
             rule: "aadsts.code", code: "50034", fields: ["trace_id": "14b63033-3bc9-4bd4-b871-5eb4b3500200", "correlation_id": "57d93ed1-be4d-483c-997c-a3b6f03deb00", "timestamp": "2021-01-12 21:08:29Z"]),
        Case(line: "Ytterligare fel information: CredentialsExpired AADSTS50055: lösen ordet har upphört att gälla. Spårnings-ID: 989b1841-dbe5-49c9-ab6c-9aa25f7b0e00 korrelations-ID: 1c69b196-1c3a-4381-9187-c84747807155 timestamp: 2021-01-12 20:59:31Z",
             rule: "aadsts.code", code: "50055", fields: ["trace_id": "989b1841-dbe5-49c9-ab6c-9aa25f7b0e00", "correlation_id": "1c69b196-1c3a-4381-9187-c84747807155"]),
        // MARK: wording pass of session 8: Entra's directory codes behind Graph (Authentication_*), one line of a pretty-printed body
        // https://github.com/microsoftgraph/microsoft-graph-docs/issues/12919
        Case(line: #" "code": "Authentication_RequestFromNonPremiumTenantOrB2CTenant","#,
             rule: "graph.premium-license-required", fields: ["code": "Authentication_RequestFromNonPremiumTenantOrB2CTenant"]),
        // https://github.com/microsoftgraph/microsoft-graph-docs-contrib/issues/3033 (a JavaScript object, one key a line)
        Case(line: "code:'Authentication_RequestFromNonPremiumTenantOrB2CTenant'",
             rule: "graph.premium-license-required", fields: ["code": "Authentication_RequestFromNonPremiumTenantOrB2CTenant"]),
        // public documentation found with find_string (stored file id 35202875945): the AzureAD module's error record
        Case(line: "Code: Authentication_MSGraphPermissionMissing",
             rule: "graph.missing-permission", fields: ["code": "Authentication_MSGraphPermissionMissing"]),
        // public documentation found with find_string (stored file id 57462652761): Graph's message as the page quotes it
        Case(line: "Authentication_MSGraphPermissionMissing: The principal does not have required Microsoft Graph permission(s)",
             rule: "graph.missing-permission", fields: ["code": "Authentication_MSGraphPermissionMissing"]),
    ]

    static let mustNotMatch: [(line: String, context: String?)] = [
        // AADSTS codes mentioned, not reported
        // https://github.com/MicrosoftDocs/azure-docs/pull/109271
        ("added AADSTS5000819 and AADSTS76021", nil),
        // https://github.com/abraunegg/onedrive/pull/3615
        ("Add detailed guidance to usage and known-issues documentation explaining AADSTS70000 errors during authentication.", nil),
        // https://github.com/MicrosoftDocs/azure-docs/issues/105747
        ("Missing error code AADSTS700027 on list of AADSTS errors", nil),
        // https://github.com/Azure/login/pull/619
        (#"Document the AADSTS700213 / AADSTS7002138 "no matching federated identity record" failures caused by case-sensitive subject matching"#, nil),
        // https://github.com/MicrosoftDocs/azure-docs/issues/76237
        ("When the `MsalServiceException` is thrown with a specific `AADSTS` error code, the `ErrorCode` property **does not** contain that AADSTS error code value.", nil),
        // https://github.com/MicrosoftDocs/azure-docs/pull/58714
        ("Added missing AADSTS 90099 error code.", nil),
        // OAuth wording in documentation and code
        // https://github.com/MicrosoftDocs/azure-docs/blob/main/articles/active-directory/develop/msal-error-handling-python.md
        (#"When an error is returned, the `"error"` key contains a machine-readable code. If the `"error"` is, for example, an `"interaction_required"`, you may prompt the user"#, nil),
        // https://github.com/MicrosoftDocs/azure-docs/blob/main/articles/active-directory/develop/msal-error-handling-python.md
        (#"scopes = ["https://graph.microsoft.com/.default"]"#, nil),
        // https://github.com/schibsted/account-sdk-android/pull/480
        (#"When the refresh token is invalid (expired, user has logged out, etc), 400 Bad Request with `"error": "invalid_grant"` is returned as response."#, nil),
        // Graph status texts without a Graph response on the line, and other APIs' 401/403
        // https://github.com/microsoftgraph/microsoft-graph-docs/issues/4207
        ("graphClient.HttpProvider.SendAsync throws 403 Forbidden.", nil),
        // https://github.com/mattleib/o365api-as-apponly-webapp/issues/4
        ("when i try to access call graph.windows.net/.../users it return 403 forbidden error.", nil),
        // https://github.com/microsoftgraph/microsoft-graph-docs/issues/12216
        ("Actual Result: 403 Forbidden with Error Code: UknownError and empty Message", nil),
        // https://github.com/RuiRomano/pbimonitor/issues/11 (no Graph response on the line)
        ("2021-12-23T10:34:48.923 [Information] OUTPUT: Message        : Response status code does not indicate success: 403 (Forbidden).", nil),
        // https://github.com/RogerSelwyn/O365-HomeAssistant/issues/263
        ("2024-11-12 16:57:05.501 DEBUG (SyncWorker_36) [O365.connection] Received response (200) from URL https://graph.microsoft.com/v1.0/me/todo/lists/AQMkADAwATEyMDM3LTRjMjktOTc3AGQtMDACLTAwCgAuAAADEbr9kk7TDkinmPmDZ-ZJuwEA5sRBHK9y0ka3RSDYYdYKjAAC0s5FdwAAAA==", nil),
        // https://github.com/OfficeDev/microsoft-teams-apps-requestateam/issues/402 (SharePoint lookup, not Graph)
        ("You don't have permission to use this lookup. Server Response: Teams Requests failed: Access is denied. (Exception from HRESULT: 0x80070005 (E_ACCESSDENIED)) clientRequestId: 38176d94-218a-4882-9cac-701beb5c1f42 serviceRequestId: 38176d94-218a-4882-9cac-701beb5c1f42", nil),
        // Google OAuth clients that are not the Google Workspace connector
        // https://github.com/Triple-T/gradle-play-publisher/issues/131
        ("What could be the cause it. com.google.api.client.auth.oauth2.TokenResponseException: 400 Bad Request", nil),
        // https://github.com/GeneralTask/task-manager/pull/2169
        (#"Get \"https://www.googleapis.com/calendar/v3/calendars/primary/events?alt=json&orderBy=startTime\": oauth2: cannot fetch token: 400 Bad Request\nResponse: {\n  \"error\": \"invalid_grant\",\n  \"error_description\": \"Token has been expired or revoked.\"\n}"#, nil),
        // https://github.com/AlphaTiles/AlphaTiles/pull/107
        (#"- Usually, this results in an error with a message "Token has been expired or revoked". The code knows how to deal with this"#, nil),
        // AF codes mentioned
        // https://github.com/MicrosoftDocs/office-365-management-api/issues/387
        ("The error code 'AF20024' for the Office 365 Management API is not in the documentation.", nil),
        // https://github.com/microsoft/Office365APIEditor/issues/1
        ("Error code AF50000 is \"internal error\" of the API.", nil),
        // "Service timeout" of other services
        // https://github.com/elastic/integrations/pull/15476 (a throttling text of the same API family)
        (#""Too many frequent subscription start requests. Please retry again after 14m 56s""#, nil),
        // Connector class names without an error
        // https://github.com/Azure/azure-workload-identity/issues/682 (MSAL debug output that names Graph's userinfo endpoint)
        ("msal.authority: openid_config = {'token_endpoint': 'https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token', 'userinfo_endpoint': 'https://graph.microsoft.com/oidc/userinfo'}", nil),
        // a report of a 403 without the response that says which API gave it
        // https://github.com/MicrosoftDocs/azure-docs/issues/8704
        ("Invoke-WebRequest : The remote server returned an error: (403) Forbidden.", nil),
        // https://github.com/microsoftgraph/msgraph-sdk-javascript/issues/57
        ("I am able to run simple GET requests like `https://graph.microsoft.com/beta/me` or `GET /users` etc.", nil),
        // https://github.com/AzureAD/microsoft-authentication-library-for-dotnet/pull/1410 (changelog)
        ("+MSAL now supports the device code grant for ADFS 2019 [#1403](https://github.com/AzureAD/microsoft-authentication-library-for-dotnet/issues/1403)", nil),
        // https://github.com/MicrosoftDocs/azure-docs/issues/42817
        (#"7000215 is not documented. The message I'm receiving is "Invalid client secret is provided.""#, nil),
        // https://github.com/MicrosoftDocs/azure-docs/issues/33356 (a comment asking about the code)
        (#"Any update on error "AADSTS7000215"?"#, nil),
        // https://github.com/MicrosoftDocs/azure-docs/pull/19707 (Event Hubs, not Graph)
        ("`InvalidAudience: Invalid authorization token audience.`", nil),
        // https://github.com/microsoft/AzureTRE/issues/361 (the app's own API, not Graph)
        ("DEBUG:root:Invalid audience", nil),
        // https://github.com/Azure/ms-rest-nodeauth/issues/145 (the request in code)
        ("      url : 'https://graph.microsoft.com/v1.0/users',", nil),
        // https://github.com/microsoftgraph/microsoft-graph-docs/issues/4752 (a request header dump without a status)
        ("Access-Control-Expose-Headers: ETag, Location, Preference-Applied, Content-Range, request-id, client-request-id", nil),
        // https://github.com/MicrosoftDocs/azure-docs/issues/70841
        (#" string[] scopes = new string[] { "https://graph.microsoft.com/.default" };"#, nil),
        // https://github.com/Azure/login/issues/482 (the workflow's own echo of its inputs)
        ("    audience: api://AzureADTokenExchange", nil),
        // MARK: look-alikes found for issue 12's second pass: codes and messages in code, documentation, other services' timeouts, OAuth prose
        // public code found with find_string (stored file id 24654040470)
        (#"\#t\#tif(error == "401 Client Error: Unauthorized for url: https://graph.microsoft.com/beta/me/presence"):"#, nil),
        // public code found with find_string (stored file id 70575659779)
        (#"            "401 Client Error: Unauthorized for url: https://graph.microsoft.com": SITES_DENIED_ERROR,"#, nil),
        // https://github.com/iterate-ch/cyberduck/pull/16853
        ("2025-02-04 12:09:44,863 [background-8] WARN  ch.cyberduck.core.http.HttpResponseExceptionMappingService - Map failure org.apache.http.client.HttpResponseException: status code: 403, reason phrase: Forbidden. Access Denied.", nil),
        // public code found with find_string (stored file id 39122045310)
        (#"                            print("Status Code: Forbidden (Unauthorised access)")"#, nil),
        // public code found with find_string (stored file id 6075482919)
        (#"                Assert.AreEqual("Status Code: Forbidden - Token does not match merchant_name in the request","#, nil),
        // https://github.com/12Knocksinna/Office365itpros/issues/29
        (">Invoke-RestMethod : The remote server returned an error: (403) Forbidden.", nil),
        // public code found with find_string (stored file id 10772792584)
        ("        return jsonify({'error': 'External AI service timeout'}), 504", nil),
        // public code found with find_string (stored file id 54538570654)
        ("| `/api/sync` SSE exceeds 5-min Cloud Run default Service timeout | Phase 7: set Service `timeout=1800s` |", nil),
        // public code found with find_string (stored file id 71593626184)
        ("- Two child calls failed with the provider's own `upstream service timeout` (30 s) and `request", nil),
        // public code found with find_string (stored file id 48627230254)
        (#"\#t\#treturn false, "Bedrock service timeout - check network connectivity", nil"#, nil),
        // public code found with find_string (stored file id 23760023479)
        (#"                    "Authorization service timeout""#, nil),
        // public code found with find_string (stored file id 37019784139)
        ("| `504` | Gateway Timeout | External service timeout |", nil),
        // public code found with find_string (stored file id 61043299099)
        ("- Assignment service timeout: default to A and log fallback telemetry.", nil),
        // public code found with find_string (stored file id 66717939994)
        ("# FOCUS: Payment service timeout with circuit breaker demonstration", nil),
        // https://github.com/microsoftarchive/api/issues/29
        (#"On sending invalid token, getting error 400 "BadRequest". Is it supposed to be so?"#, nil),
        // https://github.com/iterate-ch/cyberduck/pull/12678
        ("…l respond with a 400 error reply Perm.INVALID_GRANT which must restart the OAuth flow.", nil),
        // https://github.com/learning-layers/android-openid-connect/pull/3
        ("When a refresh token becomes invalid a refresh token request returns HTTP 400 code and an invalid_grant error (see http://tools.ietf.org/html/rfc6749#section-5.2).", nil),
        // https://github.com/FlowFuse/flowfuse/pull/8547
        ("The token endpoint returned `invalid_request` when a refresh token is unknown, expired or revoked. RFC 6749 section 5.2 requires `invalid_grant` for a bad grant, and clients such as Claude treat the wrong code as fatal and drop into a sign-in loop.", nil),
        // https://github.com/DestinyItemManager/DIM/pull/2077
        (#"This should handle cases where we have "invalid_grant" errors, or where the token has gotten mangled."#, nil),
        // public code found with find_string (stored file id 71156866247)
        ("- Error conocido `AADSTS500011`: el resource principal no existe en el tenant — verificar que el SP del agente existe con `GET /servicePrincipals/{id}`", nil),
        // public code found with find_string (stored file id 58520324762)
        (#"        assertThat(FederatedCredentialDiagnostic.classify(400, "invalid_request", "AADSTS500011"))"#, nil),
        // public code found with find_string (stored file id 68291324747)
        ("API-Ressource im Tenant nicht (`AADSTS500011`); die Konsole zeigt dann", nil),
        // public code found with find_string (stored file id 54495440297)
        (#"ini, permintaan token gagal dengan error "resource not found in tenant" (`AADSTS50001` dari endpoint managed identity, `AADSTS500011` dari endpoint token Entra)."#, nil),
        // public code found with find_string (stored file id 56199903452)
        ("// 存在しないリソースの .default スコープを要求すると Entra が AADSTS500011 系を返す。", nil),
        // public code found with find_string (stored file id 60790642847)
        ("            elseif ($emsg -match 'AADSTS7000215|invalid client secret|AADSTS700027|AADSTS500011|certificate|Key was not found') {", nil),
        // public code found with find_string (stored file id 70988074311)
        ("allowlist (`microsoft:invalid_client`, `microsoft:invalid_grant`, `microsoft:invalid_grant:aadsts50173`,", nil),
        // public code found with find_string (stored file id 67618663851)
        ("- `AADSTS50173` — grant expired due to revocation or password change.", nil),
        // public code found with find_string (stored file id 56552073231)
        ("    // AADSTS700082 / AADSTS50173 = refresh token expired/revoked", nil),
        // public code found with find_string (stored file id 68680286841)
        ("$script:CaePattern = 'TokenCreatedWithOutdatedPolicies|InteractionRequired|AADSTS50173|AADSTS53003|AADSTS50076|claims challenge'", nil),
        // public code found with find_string (stored file id 62700263302)
        (#"    expect(reg.updateAuthStatus(account.id, "requires_consent", "AADSTS50173")).toBe(true);"#, nil),
        // public code found with find_string (stored file id 60443838966)
        (#"        "AADSTS50173: The provided grant has expired","#, nil),
        // public code found with find_string (stored file id 55110827002)
        ("  if (/invalid_grant|AADSTS70008|AADSTS50173|sess[aã]o expirada/i.test(msg)) {", nil),
        // public code found with find_string (stored file id 55255939260)
        ("        blocker.message.toLowerCase().includes('aadsts65001')),", nil),
        // public code found with find_string (stored file id 38692688100)
        (#"### Error: "AADSTS65001: The user or administrator has not consented""#, nil),
        // public code found with find_string (stored file id 60719132130)
        ("- token fetch fails with `AADSTS65001`:", nil),
        // public code found with find_string (stored file id 71457347265)
        ("   - **Grant admin consent** — bez tego logowanie userów kończy się `AADSTS65001`", nil),
        // public code found with find_string (stored file id 69046662300)
        ("| `AADSTS65001` / `consent_required` / `DelegationDoesNotExist` | `[VENDOR]` No delegated grant exists for this user+resource yet | Se", nil),
        // public code found with find_string (stored file id 4175385)
        ("        '*AADSTS65001*' { 'We cannot access this tenant as consent has not been given, please try refreshing the CPV permissions in the appli", nil),
        // public code found with find_string (stored file id 67618663851)
        ("- `AADSTS70008` — `ExpiredOrRevokedGrant`, same cause.", nil),
        // https://github.com/AzureAD/MSIdentityTools/issues/20
        ("Test-MgCommand : Additional scope needed for command 'X', call Connect-MgGraph with one of the following scopes: Application.Read.All,", nil),
        // https://github.com/microsoftgraph/msgraph-sdk-powershell/issues/2873
        (#"When you run a command without having required permissions, you get a generic "insufficient privileges" error message."#, nil),
        // MARK: collected for the precision pass of issue 12: mentions in issues and documentation
        // https://github.com/clocked0ne/passport-outlook/issues/16 (a web search for the code)
        ("https://www.google.com/search?q=AADSTS90023+Tokens+issued+for+the+%27Single-Page+Application%27+client-type+may+only+be+redeemed+via+cross-origin+requests", nil),
        // https://github.com/ahaenggli/AzureAD-LDAP-wrapper/issues/115 (a proposed setting listing codes)
        (#"e.g. `GRAPH_IGNORE_MFA_ERROR_CODES: "AADSTS53003 AADSTS50076 AADSTS50079" `"#, nil),
        // https://github.com/AzureAD/microsoft-authentication-library-for-java/issues/597 (the reference table row quoted)
        ("AADSTS53003 | BlockedByConditionalAccess - Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.", nil),
        // https://github.com/Azure/azure-cli/pull/17072
        ("| `AADSTS70008` | Credentials have expired due to inactivity. | https://login.microsoftonline.com/error?code=70008 | ", nil),
        // https://github.com/microsoftgraph/microsoft-graph-explorer-v4/issues/2112
        ("Consent provided but still throwing Authorization_RequestDenied error", nil),
        // https://github.com/microsoft/teams-sdk/issues/2741 (axios against another API)
        (#"      "message": "Request failed with status code 403","#, nil),
        // https://github.com/python-social-auth/social-core/issues/349 (the token endpoint, not Graph)
        ("401 Client Error: Unauthorized for url: https://login.microsoftonline.com/common/oauth2/v2.0/token", nil),
        // https://github.com/vippsas/vipps-ecom-api/issues/246
        (#"I got this error "AADSTS9002326" when I request to apitest.vipps.no."#, nil),
        // MARK: look-alikes of the 2026-12-02 wording pass: a message as Markdown code in documentation
        // public documentation found with find_string (stored file id 59772136053)
        ("`shellyf@mashcal.co.il` — gets `Insufficient privileges to complete the operation`.", nil),
        // public documentation found with find_string (stored file id 38879778918)
        ("If you get an error when calling the API `Insufficient privileges to complete the operation.`, this is because the tenant administrator has not granted permissions", nil),
        // public documentation found with find_string (stored file id 7845695463: a Windows API reference)
        ("Access is denied. This error is returned if the caller does not have sufficient privileges to complete the operation. ", nil),
        // https://github.com/MicrosoftDocs/azure-docs/issues/30777 (the issue's text: the code, then "error_codes:" as a list)
        ("error_codes: 7000216", nil),
        // MARK: look-alikes of the connectors pass of 2026-12-02
        // https://github.com/Triple-T/gradle-play-publisher/issues/131 (Google's OAuth client in a Play publishing
        // build, not the Workspace connector)
        ("Everything was working I fine. I made no changes and suddenly I'm getting this error. What could be the cause it. com.google.api.client.auth.oauth2.TokenResponseException: 400 Bad Request", nil),
        // Apache HttpClient's NoHttpResponseException from hosts other than Salesforce (the Salesforce row needs a
        // *.salesforce.com host): https://github.com/denger/sendcloud4j/issues/11,
        // https://github.com/tomasbjerre/pull-request-notifier-for-bitbucket/issues/310,
        // https://github.com/snowdrop/java-buildpack-client/issues/60, https://github.com/segura2010/LiveboxFibraExtractor/issues/2
        ("org.apache.http.NoHttpResponseException: api.sendcloud.net:80 failed to respond", nil),
        ("org.apache.http.NoHttpResponseException: 10.3.0.66:9999 failed to respond", nil),
        ("org.apache.hc.core5.http.NoHttpResponseException: localhost:2375 failed to respond", nil),
        ("INFO: I/O exception (org.apache.http.NoHttpResponseException) caught when processing request: The target server failed to respond", nil),
        // https://github.com/box/box-python-sdk/issues/730 (Box's token body alone: Keycloak, Supabase and others send
        // the same body, so without a Box class or host on the line it names no app)
        ("{'error': 'invalid_grant', 'error_description': 'Invalid refresh token'}", nil),
        // the Microsoft troubleshooting page's own table row (public documentation, stored file id 481084019)
        ("> |GoogleJsonResponseException: 401 Unauthorized|Google Workspace|Access denied. You are not authorized to read activity records. The user you log into Google Workspace with must be an admin user.|Follow the process to connect Google Workspace to Defender for Cloud Apps again using an admin account.|", nil),
        // a README's troubleshooting heading (public documentation, stored file id 52524623216)
        ("**`403: Not Authorized to access this resource/api`**", nil),
        // a runbook's Markdown table (public documentation, stored file id 61313183169)
        ("| `reports` fails: `HTTP 401: Access denied. You are not authorized to read activity records.` | The token minted (so the DWD registration itself is fine) but the impersonated admin cannot read the Reports audit stream |", nil),
        // MARK: look-alikes of the session 7 wording pass
        // github.com/elastic/beats x-pack/filebeat/module/azure/signinlogs/test/test-non-interactive-user.log: a successful
        // sign-in (errorCode 0, resultType "0"), cut to its status and result fields
        (#"{"Level":4,"callerIpAddress":"11.22.33.44","category":"NonInteractiveUserSignInLogs","correlationId":"22222222-18ab-4afa-aa79-21af67c8b108","operationName":"Sign-in activity","properties":{"appDisplayName":"Microsoft Teams","conditionalAccessStatus":"success","status":{"errorCode":0},"userPrincipalName":"hello.world@company.de","userType":"Member"},"resultSignature":"None","resultType":"0","tenantId":"22222222-902d-4dea-8026-5a790862fede"}"#, nil),
        // public code found with find_string (stored file id 10106086453): one line of a pretty-printed record, no code on it
        (#"                "failureReason": "Invalid username or password or Invalid on-premise username or password.""#, nil),
        // public code found with find_string (stored file id 68700904690): an Elasticsearch query for failed sign-ins
        (#"**Azure AD (ELK):** `{"query":{"bool":{"must":[{"match":{"resultType":"50126"}}]}}}` — failed auth"#, nil),
        // public code found with find_string (stored file id 45305986532): code that tests for ServiceNow's text
        (#"\#t\#t\#t\#telse if (messageJson.error.detail.includes("Required to provide Auth information"))"#, nil),
        // public changelog found with find_string (stored file id 54508858686)
        (#"- Introduced `AgentErrorCode` (`E_ACL`, `E_TOKEN_EXPIRED`, `E_TIMEOUT`, `E_BROWSER_DISCONNECTED`, `E_DISABLED`, `E_INSTANCE_NOT_FOUND`, ...) with a mapping to HTTP status codes. Replaces ad-hoc `.includes("ACL")` / `.includes("Required to provide Auth information")` string sniffing in the WebSocket error path."#, nil),
        // https://github.com/simple-salesforce/simple-salesforce/issues/406 (prose about the code)
        ("In my app I make request to SF. Few days ago it worked normally, but today I've started receiving `INVALID_SESSION_ID`.", nil),
        // MARK: look-alikes of the session 8 wording pass (public code and documentation found with find_string)
        // stored file id 40764050010: code that compares a Graph error code
        (#"        code === "Authentication_MSGraphPermissionMissing" ||"#, nil),
        // stored file id 66479621261: a PowerShell script that tests an exception's message
        (#"\#t\#t\#tif ($_.Exception.Message -match 'AuditLog.Read.All|Authentication_MSGraphPermissionMissing') {"#, nil),
        // stored file id 60241925711: a README's permission table
        ("| `AuditLog.Read.All` | Application | Required alongside `Reports.Read.All` for `userRegistrationDetails` on this tenant: a live app-only call with `Reports.Read.All` granted and consented still 403'd with `Authentication_MSGraphPermissionMissing`, naming `AuditLog.Read.All` as missing. |", nil),
    ]

    @Test func realErrorsAreFoundWithTheRightRuleAndCode() {
        let scanner = Scanner(ShippedCatalogTests.ruleSet)
        scanner.lineBudgetNanoseconds = 10_000_000_000 // wall time: a loaded machine must not skip rules
        #expect(Self.mustMatch.count >= 40)
        var missed: [String] = []
        for c in Self.mustMatch {
            let (_, findings) = scanner.explain(line: Array(c.line.utf8), context: c.context)
            guard findings.count == 1, let f = findings.first else {
                missed.append("\(findings.map(\.rule)) instead of \(c.rule): \(c.line.prefix(120))")
                continue
            }
            if f.rule != c.rule { missed.append("\(f.rule) instead of \(c.rule): \(c.line.prefix(120))") }
            if let code = c.code, f.field("code") != code {
                missed.append("code \(f.field("code") ?? "none") instead of \(code): \(c.line.prefix(120))")
            }
            if let code = c.code, f.kind == .aadsts || f.rule == "connector.office365.management-api-error" {
                #expect(f.codeName != nil, "\(code) has no catalog entry")
            }
            if let app = c.app, f.app != app { missed.append("app \(f.app ?? "none") instead of \(app): \(c.line.prefix(120))") }
            for (name, value) in c.fields.sorted(by: { $0.key < $1.key }) where f.field(name) != value {
                missed.append("\(name) \(f.field(name) ?? "none") instead of \(value): \(c.line.prefix(120))")
            }
        }
        #expect(missed.isEmpty, "\(missed.count) of \(Self.mustMatch.count):\n\(missed.joined(separator: "\n"))")
    }

    /// Real multi-line errors as clients log them: one finding per event with `--multiline auto`, none line by line
    /// where the context is on another line than the error.
    @Test func realMultiLineEventsGiveOneFindingEach() throws {
        // https://github.com/iterate-ch/cyberduck/pull/16853 (OneDrive through Graph; the line after is another
        // service's 403 with no Graph response on it)
        let cyberduck = """
        2025-02-04 12:09:44,860 [background-8] WARN  ch.cyberduck.core.onedrive.GraphExceptionMappingService - Map failure {
        \t"error": {
        \t\t"code": "accessDenied",
        \t\t"message": "Access Denied",
        \t\t"localizedMessage": "This item might have been deleted, expired, or you might not have permission to access it. Contact the owner of this item for more information.",
        \t\t"innerError": {
        \t\t\t"date": "2025-02-04T11:09:52",
        \t\t\t"request-id": "***",
        \t\t\t"client-request-id": "***"
        \t\t}
        \t}
        }
        2025-02-04 12:09:44,863 [background-8] WARN  ch.cyberduck.core.http.HttpResponseExceptionMappingService - Map failure org.apache.http.client.HttpResponseException: status code: 403, reason phrase: Forbidden. Access Denied.

        """
        let lines = try scanBytes(Array(cyberduck.utf8), ShippedCatalogTests.ruleSet, multiline: nil)
        #expect(lines.isEmpty, "line by line, the body has no Graph context: \(lines.map(\.rule))")
        let events = try scanBytes(Array(cyberduck.utf8), ShippedCatalogTests.ruleSet, multiline: Multiline.parse("auto"))
        #expect(events.map(\.rule) == ["graph.access-denied"])
        #expect(events.first?.event?.lines.count == 12)
        #expect(events.first?.line == "\t\t\"code\": \"accessDenied\",")
    }

    @Test func lookAlikesGiveNoFinding() {
        let scanner = Scanner(ShippedCatalogTests.ruleSet)
        scanner.lineBudgetNanoseconds = 10_000_000_000 // wall time: a loaded machine must not skip rules
        #expect(Self.mustNotMatch.count >= 20)
        var fired: [String] = []
        for (line, context) in Self.mustNotMatch {
            let (_, findings) = scanner.explain(line: Array(line.utf8), context: context)
            if !findings.isEmpty { fired.append("\(findings.map(\.rule)): \(line.prefix(120))") }
        }
        #expect(fired.isEmpty, "\(fired.count) of \(Self.mustNotMatch.count):\n\(fired.joined(separator: "\n"))")
    }
}
