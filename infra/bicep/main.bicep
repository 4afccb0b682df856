// Twine Functions in one resource group: storage, Key Vault, monitoring, the function app on Flex Consumption,
// its user-assigned managed identity and that identity's role assignments. No keys, connection strings with keys,
// or secret values anywhere: every connection authenticates with the identity, and the two Twine secrets are set
// in Key Vault out of band (docs/DEPLOY.md).
//
// Monitoring as code: an action group, alert rules, diagnostic settings and a workbook (docs/OPERATIONS.md). With
// vnetEnabled (the production profile, prod.bicepparam) the app is VNet-integrated and reaches storage and Key Vault
// through private endpoints only.
//
//   az deployment group create -g <resource-group> -f infra/bicep/main.bicep -p infra/bicep/main.bicepparam
//   az deployment group create -g <resource-group> -f infra/bicep/main.bicep -p infra/bicep/prod.bicepparam
//   azd up          (azure.yaml; azd passes AZURE_ENV_NAME, AZURE_LOCATION and TWINE_PROFILE to main.bicepparam)

targetScope = 'resourceGroup'

import { fhirPartner, fhirAppSettings } from 'fhir.bicep'

@description('Name of the environment (dev, test, prod...): part of every resource name and the azd-env-name tag. Lowercase letters, digits and inner hyphens (it becomes part of the function app\'s host name).')
@minLength(2)
@maxLength(20)
param environmentName string

@description('Azure region of every resource; must offer the Flex Consumption plan.')
param location string = resourceGroup().location

@description('Twine\'s API root including /pub/, e.g. https://api.twinehealth.com/pub/ (setting Twine__BaseAddress).')
param twineBaseAddress string

@description('Name of the Key Vault secret holding Twine\'s OAuth client id (the value is set out of band).')
param twineClientIdSecretName string = 'twine-client-id'

@description('Name of the Key Vault secret holding Twine\'s OAuth client secret (the value is set out of band).')
param twineClientSecretSecretName string = 'twine-client-secret'

@description('NCRONTAB schedule (six fields, with seconds) of the timer that polls Twine for changes.')
param pollSchedule string = '0 */5 * * * *'

@description('How far below the last poll\'s newest send_time the next poll reads emails again (a .NET TimeSpan, at most 30.00:00:00; PollTwineUpdates__EmailOverlap).')
param pollEmailOverlap string = '1.00:00:00'

@description('How far below the last poll\'s upper bound the next calendar poll starts (a .NET TimeSpan, at most 1.00:00:00; PollTwineUpdates__CalendarOverlap).')
param pollCalendarOverlap string = '00:05:00'

@description('Time a poll run may take before it saves where it is and stops (a .NET TimeSpan, at most 00:09:00; PollTwineUpdates__TimeBudget).')
param pollTimeBudget string = '00:04:00'

@description('Resources per Twine request of the poller (PollTwineUpdates__PageSize; Twine allows at most 50 for calendar events).')
@minValue(1)
@maxValue(500)
param pollPageSize int = 50

@description('Id of the Twine organization whose calendar events the timer polls (24 hexadecimal digits).')
@minLength(24)
@maxLength(24)
param twineOrganization string

@description('Comma-separated Twine coach ids whose sent emails the timer polls; empty: email history is not polled.')
param twineEmailSenders string = ''

@description('Name of the Key Vault secret holding the base64 HMAC key (32+ bytes) for hashing email addresses; empty: addresses are not stored. The app reads it with its identity like the Twine secrets (setting PollTwineUpdates__EmailHashKeySecretName, vault TwineSecrets__VaultUri); no Key Vault reference, so a missing secret cannot stop the app.')
param emailHashKeySecretName string = ''

@description('Partners allowed to call the webhooks: 1 to 64 letters or digits each (a name is part of an app setting name and of a Key Vault secret name), no duplicates. Each signs with the secrets in the Key Vault secret webhook-secret-<partner>, set out of band; with none, every webhook write is refused. Checked at deployment: a bad name fails the deployment, never the app.')
param webhookPartners string[] = []

@description('Partners\' FHIR R4 settings (docs/FHIR.md#partner-settings), one object per partner, each partner one of webhookPartners: app settings Fhir__Partners__<partner>__Organization, __IdentifierSystems__<i>__FhirSystem/__TwineSystem, __PatientIdSystem, __Practitioners__<i>__*, __EventTypes__<i>__*, __DefaultEventType. Empty: every FHIR write is refused (403). Checked at deployment.')
param fhirPartners fhirPartner[] = []

@description('E-mail addresses the alert rules notify (the action group\'s receivers); empty: alerts fire in the portal only.')
param alertEmailReceivers string[] = []

@description('VNet integration for the app and private endpoints for blob, queue, table and Key Vault, with public network access to storage and the vault disabled (the production profile).')
param vnetEnabled bool = false

@description('Address space of the virtual network (vnetEnabled only).')
param vnetAddressPrefix string = '10.40.0.0/16'

@description('Subnet the app integrates with, delegated to Microsoft.App/environments (vnetEnabled only; a /24 leaves room to scale out).')
param appSubnetPrefix string = '10.40.0.0/24'

@description('Subnet of the private endpoints (vnetEnabled only).')
param privateEndpointSubnetPrefix string = '10.40.1.0/24'

@description('Zone-redundant Flex Consumption plan (only in regions that offer it: az functionapp list-flexconsumption-locations --zone-redundant). The platform then keeps at least two always-ready instances per scaling group, billed.')
param zoneRedundant bool = false

@description('Always-ready instances of the HTTP functions (the http scaling group): 0 scales to zero (cold starts), 1 keeps the webhooks warm.')
@minValue(0)
@maxValue(10)
param alwaysReadyHttpInstances int = 0

@description('How long a queue message that meets transient Twine failures keeps being rescheduled before it is recorded as failed (a .NET TimeSpan, 00:01:00 to 30.00:00:00; setting Processing__RetryFor).')
param processingRetryFor string = '1.00:00:00'

@description('NCRONTAB schedule (six fields, with seconds) of the retention timer that deletes old ingestions (setting Retention__Schedule).')
param retentionSchedule string = '0 30 2 * * *'

@description('Ingestions, their results, kept queue messages and request keys are deleted this many days after they were created (setting Retention__Days).')
@minValue(1)
@maxValue(3650)
param retentionDays int = 30

@description('Largest number of instances the function app scales out to.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Memory of each function app instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Replication of the storage account.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
])
param storageSkuName string = 'Standard_LRS'

@description('Days the Log Analytics workspace keeps logs.')
@minValue(30)
@maxValue(730)
param logRetentionInDays int = 30

@description('Client id of the Microsoft Entra app registration operators sign in with (App Service Authentication, docs/DEPLOY.md#operator-sign-in); empty: no sign-in, the function key is the operator routes\' only guard.')
param operatorSignInClientId string = ''

@description('Tenant id of that app registration; empty: the deployment\'s tenant.')
param operatorSignInTenantId string = ''

@description('The app role (its value) an operator must have when the sign-in is on.')
@minLength(1)
@maxLength(120)
param operatorRole string = 'Twine.Operator'

@description('Extra tags for every resource.')
param tags object = {}

// Queue and table names: created by the storage module and handed to the app as settings from the same values,
// so the two cannot disagree. The defaults of StorageOptions are the same names.
var queueNames = {
  metrics: 'twine-metrics'
  calendarEvents: 'twine-calendar-events'
}

var tableNames = {
  ingestions: 'Ingestions'
  calendarEventLinks: 'CalendarEventLinks'
  ingestionKeys: 'IngestionKeys'
  ingestionIndex: 'IngestionIndex'
  ingestionMessages: 'IngestionMessages'
}

// Tables of the timer that polls Twine (PollingOptions, section PollTwineUpdates).
var pollingTableNames = {
  emailHistory: 'EmailHistory'
  calendarEvents: 'CalendarEvents'
  checkpoints: 'PollCheckpoints'
  emailRecheck: 'EmailRecheck'
}

// Deployment-time checks that parameter decorators cannot express. Each fails the deployment (and bicep snapshot) with
// its message before anything is created, instead of producing a setting or a name that breaks later.
var lowerAlphanumerics = 'abcdefghijklmnopqrstuvwxyz0123456789'
var alphanumerics = '${lowerAlphanumerics}ABCDEFGHIJKLMNOPQRSTUVWXYZ'

// environmentName is part of the function app's host name (func-twine-<env>-<token>) and every other resource name.
var validEnvironmentName = onlyCharacters(environmentName, '${lowerAlphanumerics}-') && !startsWith(
    environmentName,
    '-'
  ) && !endsWith(environmentName, '-')
  ? environmentName
  : fail('environmentName \'${environmentName}\' must be lowercase letters, digits and inner hyphens (it is part of the function app\'s host name): choose another azd environment name (azd env new <name>) or AZURE_ENV_NAME')

// A partner name is part of the app setting Webhooks__Partners__<partner>__SecretName and of the Key Vault secret
// webhook-secret-<partner>: letters and digits are the characters every layer accepts (the app's validator, App Service
// setting names, Key Vault secret names).
var invalidPartners = filter(
  webhookPartners,
  partner => length(partner) > 64 || !onlyCharacters(partner, alphanumerics)
)
var checkedPartners = !empty(invalidPartners)
  ? fail('webhookPartners: a partner name is 1 to 64 letters or digits (no spaces, - or _); not: \'${join(invalidPartners, '\', \'')}\'. Fix TWINE_WEBHOOK_PARTNERS (comma-separated)')
  : length(union(map(webhookPartners, partner => toLower(partner)), [])) != length(webhookPartners) ? fail('webhookPartners lists a partner twice (names are case-insensitive): ${join(webhookPartners, ', ')}') : webhookPartners

// FHIR settings belong to a webhook partner (it signs its FHIR requests with its webhook secret), once each; the
// organization and practitioners' Twine users are Twine ids. The app validates the rest at start-up
// (FhirPartnerOptionsValidator); these are the mistakes that would otherwise only show as a 403 or a failed start.
var hexDigits = '0123456789abcdefABCDEF'
var webhookPartnersLower = map(checkedPartners, partner => toLower(partner))
var fhirPartnersNotWebhookPartners = filter(fhirPartners, p => !contains(webhookPartnersLower, toLower(p.partner)))
var fhirPartnersBadIds = filter(
  fhirPartners,
  p =>
    length(p.organization) != 24 || !onlyCharacters(p.organization, hexDigits) || length(filter(
      p.?practitioners ?? [],
      m => length(m.twineUser) != 24 || !onlyCharacters(m.twineUser, hexDigits)
    )) > 0
)
var checkedFhirPartners = !empty(fhirPartnersNotWebhookPartners)
  ? fail('fhirPartners: \'${join(map(fhirPartnersNotWebhookPartners, p => p.partner), '\', \'')}\' is not in webhookPartners (TWINE_WEBHOOK_PARTNERS): a partner\'s FHIR requests are signed with its webhook secret')
  : length(union(map(fhirPartners, p => toLower(p.partner)), [])) != length(fhirPartners) ? fail('fhirPartners lists a partner twice: ${join(map(fhirPartners, p => p.partner), ', ')}') : !empty(fhirPartnersBadIds) ? fail('fhirPartners: the organization and every practitioner\'s twineUser must be Twine ids (24 hexadecimal digits); not so for \'${join(map(fhirPartnersBadIds, p => p.partner), '\', \'')}\'') : fhirPartners

var checkedEmailHashKeySecretName = empty(emailHashKeySecretName) || (length(emailHashKeySecretName) <= 127 && onlyCharacters(
    emailHashKeySecretName,
    '${alphanumerics}-'
  ))
  ? emailHashKeySecretName
  : fail('emailHashKeySecretName \'${emailHashKeySecretName}\' is not a Key Vault secret name (1 to 127 letters, digits and hyphens)')

// The sign-in's client and tenant are GUIDs: a typo stops the deployment here instead of breaking the sign-in page.
var guidCharacters = '0123456789abcdefABCDEF-'
var checkedOperatorSignInClientId = empty(operatorSignInClientId) || (length(operatorSignInClientId) == 36 && onlyCharacters(
    operatorSignInClientId,
    guidCharacters
  ))
  ? operatorSignInClientId
  : fail('operatorSignInClientId \'${operatorSignInClientId}\' is not a client id (a GUID): set TWINE_OPERATOR_CLIENT_ID to the app registration\'s Application (client) ID')
var checkedOperatorSignInTenantId = empty(operatorSignInTenantId) || (length(operatorSignInTenantId) == 36 && onlyCharacters(
    operatorSignInTenantId,
    guidCharacters
  ))
  ? (empty(operatorSignInTenantId) ? tenant().tenantId : operatorSignInTenantId)
  : fail('operatorSignInTenantId \'${operatorSignInTenantId}\' is not a tenant id (a GUID): set TWINE_OPERATOR_TENANT_ID to the Directory (tenant) ID, or leave it empty for the deployment\'s tenant')

var resourceToken = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName))
var allTags = union(tags, { 'azd-env-name': environmentName })
var functionAppName = 'func-twine-${validEnvironmentName}-${resourceToken}'
// The vault's name is the same for every deployment of this environment into this resource group, also after azd down:
// a deleted vault is kept (soft delete, purge protection) and recovered under that name by the preprovision hook
// (infra/scripts/recover-vault.sh), with its secrets, before the template runs again (docs/DEPLOY.md).
var keyVaultName = 'kv-${resourceToken}'

// HTTP-triggered functions (the http scaling group of Flex Consumption): their 5xx rate is alerted on.
var httpFunctionNames = [
  'IngestMetrics'
  'IngestCalendarEvent'
  'DeleteCalendarEvent'
  'GetIngestionStatus'
  'ListIngestions'
  'GetIngestionSummary'
  'ReplayIngestion'
  'ReplayIngestions'
  'OperatorConsole'
  'GetEmailHistory'
  'GetCalendarEvent'
  'Health'
  'FhirMetadata'
  'FhirIngestObservation'
  'FhirIngestBundle'
  'FhirPutAppointment'
  'FhirDeleteAppointment'
]

// The host part of Twine's API root, which the app's dependency telemetry names as its target.
var twineHost = split(split(split(twineBaseAddress, '://')[1], '/')[0], ':')[0]

@description('True when every character of text is one of characters (and text is not empty).')
func onlyCharacters(text string, characters string) bool =>
  !empty(text) && empty(filter(range(0, length(text)), i => !contains(characters, substring(text, i, 1))))

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    name: 'id-twine-${environmentName}-${resourceToken}'
    location: location
    tags: allTags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    logAnalyticsName: 'log-twine-${environmentName}-${resourceToken}'
    applicationInsightsName: 'appi-twine-${environmentName}-${resourceToken}'
    location: location
    tags: allTags
    retentionInDays: logRetentionInDays
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    name: 'st${resourceToken}'
    location: location
    tags: allTags
    skuName: storageSkuName
    publicNetworkAccess: vnetEnabled ? 'Disabled' : 'Enabled'
    deploymentContainerName: 'app-package-${resourceToken}'
    queueNames: [
      queueNames.metrics
      '${queueNames.metrics}-poison'
      queueNames.calendarEvents
      '${queueNames.calendarEvents}-poison'
    ]
    tableNames: [
      tableNames.ingestions
      tableNames.calendarEventLinks
      tableNames.ingestionKeys
      tableNames.ingestionIndex
      tableNames.ingestionMessages
      pollingTableNames.emailHistory
      pollingTableNames.calendarEvents
      pollingTableNames.checkpoints
      pollingTableNames.emailRecheck
    ]
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyVault'
  params: {
    name: keyVaultName
    location: location
    tags: allTags
    publicNetworkAccess: vnetEnabled ? 'Disabled' : 'Enabled'
    logAnalyticsWorkspaceName: monitoring.outputs.logAnalyticsName
  }
}

// Production: the app's outbound traffic goes through a VNet, storage and the vault take it only on private endpoints.
module network 'modules/network.bicep' = if (vnetEnabled) {
  name: 'network'
  params: {
    name: 'vnet-twine-${environmentName}-${resourceToken}'
    location: location
    tags: allTags
    addressPrefix: vnetAddressPrefix
    appSubnetPrefix: appSubnetPrefix
    privateEndpointSubnetPrefix: privateEndpointSubnetPrefix
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
  }
}

module roles 'modules/roles.bicep' = {
  name: 'roles'
  params: {
    principalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionApp'
  // The app's first start must already find its roles in place.
  dependsOn: [
    roles
  ]
  params: {
    name: functionAppName
    planName: 'plan-twine-${environmentName}-${resourceToken}'
    location: location
    tags: allTags
    azdServiceName: 'twine-functions'
    identityResourceId: identity.outputs.resourceId
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerName: storage.outputs.deploymentContainerName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    keyVaultUri: keyVault.outputs.uri
    twineBaseAddress: twineBaseAddress
    twineSecretNames: {
      clientId: twineClientIdSecretName
      clientSecret: twineClientSecretSecretName
    }
    queueNames: queueNames
    tableNames: tableNames
    polling: {
      schedule: pollSchedule
      organization: twineOrganization
      emailSenders: twineEmailSenders
      emailHashKeySecretName: checkedEmailHashKeySecretName
      emailOverlap: pollEmailOverlap
      calendarOverlap: pollCalendarOverlap
      timeBudget: pollTimeBudget
      pageSize: pollPageSize
      emailHistoryTable: pollingTableNames.emailHistory
      calendarEventsTable: pollingTableNames.calendarEvents
      checkpointsTable: pollingTableNames.checkpoints
      emailRecheckTable: pollingTableNames.emailRecheck
    }
    webhookPartners: checkedPartners
    fhirSettings: fhirAppSettings(checkedFhirPartners)
    processingRetryFor: processingRetryFor
    retention: {
      schedule: retentionSchedule
      days: retentionDays
    }
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    alwaysReadyHttpInstances: alwaysReadyHttpInstances
    zoneRedundant: zoneRedundant
    // Empty without vnetEnabled: no VNet integration. The private endpoints exist before the app starts.
    subnetId: network.?outputs.appSubnetId ?? ''
    logAnalyticsWorkspaceName: monitoring.outputs.logAnalyticsName
    operatorSignIn: {
      clientId: checkedOperatorSignInClientId
      tenantId: checkedOperatorSignInTenantId
      role: operatorRole
    }
  }
}

// Alert rules on the app's telemetry and the vault's audit log, their action group, and the operators' workbook.
module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  params: {
    environmentName: environmentName
    resourceToken: resourceToken
    location: location
    tags: allTags
    logAnalyticsWorkspaceName: monitoring.outputs.logAnalyticsName
    emailReceivers: alertEmailReceivers
    twineHost: twineHost
    httpFunctionNames: httpFunctionNames
  }
}

// Names and addresses only: no keys, no connection strings, no secrets. azd stores these in .azure/<env>/.env.
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_FUNCTION_APP_HOST_NAME string = functionApp.outputs.defaultHostName
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_KEY_VAULT_URI string = keyVault.outputs.uri
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_APPLICATION_INSIGHTS_NAME string = monitoring.outputs.applicationInsightsName
output AZURE_LOG_ANALYTICS_WORKSPACE_NAME string = monitoring.outputs.logAnalyticsName
// For the postprovision hook (infra/scripts/postprovision.sh): the partners as deployed, and whether the vault is private.
output TWINE_WEBHOOK_PARTNER_NAMES string = join(checkedPartners, ',')
output TWINE_OPERATOR_SIGN_IN string = empty(checkedOperatorSignInClientId) ? 'off' : 'on'
output TWINE_VNET_ENABLED string = vnetEnabled ? 'true' : 'false'
