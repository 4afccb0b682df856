// Monitoring as code: an action group that e-mails the operators, log alert rules on the Log Analytics workspace (the
// app's Application Insights telemetry lands there as AppTraces, AppRequests and AppDependencies; the vault's audit
// log as AZKVAuditLogs), and a workbook with the figures an operator watches. Every rule, and what to do when it
// fires, is in docs/OPERATIONS.md; tests/Twine.Infra.Tests checks each phrase a query looks for against the app's own
// log message templates.

@description('Name of the environment (part of the names).')
param environmentName string

@description('Unique token of the deployment (part of the names).')
param resourceToken string

@description('Azure region of the rules and the workbook.')
param location string

@description('Tags for the resources.')
param tags object

@description('Log Analytics workspace of Application Insights and of the diagnostic settings.')
param logAnalyticsWorkspaceName string

@description('E-mail addresses the action group notifies; empty: the rules fire without notifying anyone.')
param emailReceivers string[]

@description('Host name of Twine\'s API (the target of the app\'s dependency telemetry).')
param twineHost string

@description('Names of the HTTP-triggered functions.')
param httpFunctionNames string[]

resource workspace 'Microsoft.OperationalInsights/workspaces@2025-02-01' existing = {
  name: logAnalyticsWorkspaceName
}

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: 'ag-twine-${environmentName}-${resourceToken}'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: take('twine-${environmentName}', 12)
    enabled: true
    emailReceivers: [
      for (address, i) in emailReceivers: {
        name: 'operator-${i}'
        emailAddress: address
        useCommonAlertSchema: true
      }
    ]
  }
}

// The failure lines the app writes when it records an ingestion as failed (QueueFailureRecorder, MessageRetries,
// UnattributedMessages): poison, given up after Processing__RetryFor, a permanent failure, a malformed message, a
// message that names no valid ingestion. Twine refusing a partner's data (a 4xx) is recorded per item, not alerted.
var ingestionFailuresQuery = '''
AppTraces
| where Message has "ingestion marked failed"
    or Message has "recorded as failed"
    or Message has "names no valid ingestion"
| project TimeGenerated, Message, IngestionId = tostring(Properties.IngestionId), AppRoleInstance
'''

var pollFailuresQuery = '''
AppRequests
| where Name == "PollTwineUpdates" and Success == false
| project TimeGenerated, Problem = strcat("PollTwineUpdates run failed, result ", ResultCode), OperationId
| union (AppTraces
    | where Message has "Twine refused the query"
    | project TimeGenerated, Problem = Message, OperationId)
'''

// No run at all: the timer is disabled (a missing PollTwineUpdates__Schedule), the app is down, or runs hang.
var pollStalledQuery = '''
AppRequests
| where Name == "PollTwineUpdates"
| project TimeGenerated, Success, DurationMs
'''

var twineStatusQuery = '''
AppDependencies
| where Target has "{twineHost}"
| summarize Calls = sum(ItemCount), Failed = sumif(ItemCount, {failed})
| where Calls >= 20
| extend FailedPercent = round(100.0 * Failed / Calls, 1)
'''

var http5xxQuery = '''
AppRequests
| where Name in ({httpFunctions})
| summarize Requests = sum(ItemCount), ServerErrors = sumif(ItemCount, toint(ResultCode) >= 500)
| where Requests >= 10
| extend ServerErrorPercent = round(100.0 * ServerErrors / Requests, 1)
'''

// The vault refused a caller (403: a missing role, or the firewall), or the app could not read a secret (missing,
// refused, unreachable). 401s are not counted: every Key Vault client's first request is an unauthenticated challenge.
var keyVaultAccessQuery = '''
union isfuzzy=true
    (AZKVAuditLogs
    | where tostring(HttpStatusCode) == "403"
    | project TimeGenerated, Source = "vault audit", Detail = strcat(OperationName, " refused (403)")),
    (AppTraces
    | where Message has "could not be read"
    | project TimeGenerated, Source = "app", Detail = Message)
'''

var twineHostQuery = replace(twineStatusQuery, '{twineHost}', twineHost)

var rules = [
  {
    name: 'ingestion-failures'
    displayName: 'Twine Functions: ingestions recorded as failed or poisoned'
    description: 'The app recorded an ingestion (or a queue message) as failed: poison, retries given up, a permanent failure, a malformed or unattributable message. docs/OPERATIONS.md#ingestion-failures'
    severity: 1
    query: ingestionFailuresQuery
    frequency: 'PT5M'
    window: 'PT15M'
    aggregation: 'Count'
    measure: null
    operator: 'GreaterThan'
    threshold: 0
  }
  {
    name: 'poll-failures'
    displayName: 'Twine Functions: PollTwineUpdates runs failed'
    description: 'A PollTwineUpdates run failed, or Twine refused a poll query. docs/OPERATIONS.md#poll-failures'
    severity: 2
    query: pollFailuresQuery
    frequency: 'PT5M'
    window: 'PT15M'
    aggregation: 'Count'
    measure: null
    operator: 'GreaterThan'
    threshold: 0
  }
  {
    name: 'poll-stalled'
    displayName: 'Twine Functions: PollTwineUpdates has not run for an hour'
    description: 'No PollTwineUpdates run in the last hour (the schedule is every 5 minutes): the timer is disabled, the app is stopped, or runs do not finish. docs/OPERATIONS.md#poll-stalled'
    severity: 2
    query: pollStalledQuery
    frequency: 'PT15M'
    window: 'PT1H'
    aggregation: 'Count'
    measure: null
    operator: 'LessThan'
    threshold: 1
  }
  {
    name: 'twine-5xx'
    displayName: 'Twine Functions: Twine answers 5xx'
    description: 'More than 10% of the calls to Twine in 15 minutes (at least 20 calls) answered 5xx. docs/OPERATIONS.md#twine-5xx'
    severity: 2
    query: replace(twineHostQuery, '{failed}', 'ResultCode startswith "5"')
    frequency: 'PT5M'
    window: 'PT15M'
    aggregation: 'Maximum'
    measure: 'FailedPercent'
    operator: 'GreaterThan'
    threshold: 10
  }
  {
    name: 'twine-429'
    displayName: 'Twine Functions: Twine throttles (429)'
    description: 'More than 10% of the calls to Twine in 15 minutes (at least 20 calls) answered 429 Too Many Requests. docs/OPERATIONS.md#twine-429'
    severity: 3
    query: replace(twineHostQuery, '{failed}', 'ResultCode == "429"')
    frequency: 'PT5M'
    window: 'PT15M'
    aggregation: 'Maximum'
    measure: 'FailedPercent'
    operator: 'GreaterThan'
    threshold: 10
  }
  {
    name: 'http-5xx'
    displayName: 'Twine Functions: HTTP 5xx answers'
    description: 'More than 5% of the HTTP requests in 15 minutes (at least 10) answered 5xx. docs/OPERATIONS.md#http-5xx'
    severity: 1
    query: replace(http5xxQuery, '{httpFunctions}', join(map(httpFunctionNames, f => '"${f}"'), ', '))
    frequency: 'PT5M'
    window: 'PT15M'
    aggregation: 'Maximum'
    measure: 'ServerErrorPercent'
    operator: 'GreaterThan'
    threshold: 5
  }
  {
    name: 'key-vault-access'
    displayName: 'Twine Functions: Key Vault access failures'
    description: 'The vault refused a request (403), or the app could not read a secret. docs/OPERATIONS.md#key-vault-access'
    severity: 1
    query: keyVaultAccessQuery
    frequency: 'PT5M'
    window: 'PT15M'
    aggregation: 'Count'
    measure: null
    operator: 'GreaterThan'
    threshold: 0
  }
]

resource alertRules 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [
  for rule in rules: {
    name: 'alert-twine-${environmentName}-${rule.name}'
    location: location
    tags: tags
    kind: 'LogAlert'
    properties: {
      displayName: rule.displayName
      description: rule.description
      severity: rule.severity
      enabled: true
      scopes: [
        workspace.id
      ]
      evaluationFrequency: rule.frequency
      windowSize: rule.window
      criteria: {
        allOf: [
          {
            query: rule.query
            timeAggregation: rule.aggregation
            metricMeasureColumn: rule.measure
            operator: rule.operator
            threshold: rule.threshold
            failingPeriods: {
              numberOfEvaluationPeriods: 1
              minFailingPeriodsToAlert: 1
            }
          }
        ]
      }
      autoMitigate: true
      // The App* and AZKVAuditLogs tables appear with their first rows: a new workspace has none yet.
      skipQueryValidation: true
      actions: {
        actionGroups: [
          actionGroup.id
        ]
      }
    }
  }
]

// The operators' workbook (Azure portal: Monitor > Workbooks, or the resource group): workbooks/operations.workbook.json
// with Twine's host filled in and the workspace as its data source.
resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(resourceGroup().id, environmentName, 'twine-operations-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: 'Twine Functions operations (${environmentName})'
    category: 'workbook'
    version: 'Notebook/1.0'
    sourceId: workspace.id
    serializedData: string(union(
      json(replace(loadTextContent('../workbooks/operations.workbook.json'), '{twineHost}', twineHost)),
      {
        fallbackResourceIds: [
          workspace.id
        ]
      }
    ))
  }
}

output actionGroupName string = actionGroup.name
output alertRuleNames string[] = [for (rule, i) in rules: alertRules[i].name]
output workbookName string = workbook.name
