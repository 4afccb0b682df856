// Twine Functions in one resource group: storage, Key Vault, monitoring, the function app on Flex Consumption,
// its user-assigned managed identity and that identity's role assignments. No keys, connection strings with keys,
// or secret values anywhere: every connection authenticates with the identity, and the two Twine secrets are set
// in Key Vault out of band (docs/DEPLOY.md).
//
//   az deployment group create -g <resource-group> -f infra/bicep/main.bicep -p infra/bicep/main.bicepparam
//   azd up          (azure.yaml; azd passes AZURE_ENV_NAME and AZURE_LOCATION to main.bicepparam)

targetScope = 'resourceGroup'

@description('Name of the environment (dev, test, prod...): part of every resource name and the azd-env-name tag.')
@minLength(1)
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

@description('Id of the Twine organization whose calendar events the timer polls (24 hexadecimal digits).')
@minLength(24)
@maxLength(24)
param twineOrganization string

@description('Comma-separated Twine coach ids whose sent emails the timer polls; empty: email history is not polled.')
param twineEmailSenders string = ''

@description('Name of a Key Vault secret holding the base64 HMAC key (32+ bytes) for hashing email addresses; empty: addresses are not stored. The secret must exist before the app starts.')
param emailHashKeySecretName string = ''

@description('Partners allowed to call the webhooks (letters, digits, - and _). Each signs with the secrets in the Key Vault secret webhook-secret-<partner>, set out of band; with none, every webhook write is refused.')
param webhookPartners string[] = []

@description('How long a queue message that meets transient Twine failures keeps being rescheduled before it is recorded as failed (a .NET TimeSpan, 00:01:00 to 30.00:00:00; setting Processing__RetryFor).')
param processingRetryFor string = '1.00:00:00'

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
  ingestionResults: 'IngestionResults'
  calendarEventLinks: 'CalendarEventLinks'
  ingestionKeys: 'IngestionKeys'
}

// Tables of the timer that polls Twine (PollingOptions, section PollTwineUpdates).
var pollingTableNames = {
  emailHistory: 'EmailHistory'
  calendarEvents: 'CalendarEvents'
  checkpoints: 'PollCheckpoints'
}

var resourceToken = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName))
var allTags = union(tags, { 'azd-env-name': environmentName })
var functionAppName = 'func-twine-${environmentName}-${resourceToken}'

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
    deploymentContainerName: 'app-package-${resourceToken}'
    queueNames: [
      queueNames.metrics
      '${queueNames.metrics}-poison'
      queueNames.calendarEvents
      '${queueNames.calendarEvents}-poison'
    ]
    tableNames: [
      tableNames.ingestions
      tableNames.ingestionResults
      tableNames.calendarEventLinks
      tableNames.ingestionKeys
      pollingTableNames.emailHistory
      pollingTableNames.calendarEvents
      pollingTableNames.checkpoints
    ]
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyVault'
  params: {
    name: 'kv-${resourceToken}'
    location: location
    tags: allTags
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
    keyVaultName: keyVault.outputs.name
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
      emailHashKeySecretName: emailHashKeySecretName
      emailHistoryTable: pollingTableNames.emailHistory
      calendarEventsTable: pollingTableNames.calendarEvents
      checkpointsTable: pollingTableNames.checkpoints
    }
    webhookPartners: webhookPartners
    processingRetryFor: processingRetryFor
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
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
