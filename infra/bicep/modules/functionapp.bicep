// The function app on the Flex Consumption plan (Linux, dotnet-isolated 10.0), running as a user-assigned managed
// identity. Every connection is identity based: the Functions host's storage (AzureWebJobsStorage__*), the app's
// queues and tables (TwineStorage__*), the deployment package container, Key Vault (TwineSecrets__VaultUri) and
// Application Insights (APPLICATIONINSIGHTS_AUTHENTICATION_STRING). No app setting holds a key or a secret: the
// one secret-like setting (PollTwineUpdates__EmailHashKey) is a Key Vault reference or empty.
// Flex Consumption sets the runtime in functionAppConfig, so FUNCTIONS_WORKER_RUNTIME and
// FUNCTIONS_EXTENSION_VERSION are not app settings here (the platform refuses them).

@description('Name of the function app (globally unique host name).')
param name string

@description('Name of the Flex Consumption plan.')
param planName string

@description('Azure region.')
param location string

@description('Tags for the resources (the site also gets azd-service-name).')
param tags object

@description('Service name in azure.yaml that azd deploys to this app.')
param azdServiceName string

@description('Resource id of the user-assigned managed identity the app runs as.')
param identityResourceId string

@description('Client id of that identity.')
param identityClientId string

@description('Name of the storage account.')
param storageAccountName string

@description('Blob container that holds the deployment package.')
param deploymentContainerName string

@description('Name of the Application Insights component.')
param applicationInsightsName string

@description('Name of the Key Vault holding the Twine credentials (and the optional email hash key).')
param keyVaultName string

@description('URI of that Key Vault.')
param keyVaultUri string

@description('Twine API root including /pub/.')
param twineBaseAddress string

@description('Key Vault secret names of Twine\'s client id and client secret (names only: never values).')
param twineSecretNames {
  clientId: string
  clientSecret: string
}

@description('Queue names (the -poison queues are derived by the Functions host).')
param queueNames {
  metrics: string
  calendarEvents: string
}

@description('Table names.')
param tableNames {
  ingestions: string
  ingestionResults: string
  calendarEventLinks: string
  ingestionKeys: string
}

@description('Settings of the timer that polls Twine (PollingOptions, section PollTwineUpdates).')
param polling {
  @description('NCRONTAB schedule, six fields with seconds.')
  schedule: string
  @description('Twine organization id whose calendar events are polled.')
  organization: string
  @description('Comma-separated coach ids whose sent emails are polled; empty: none.')
  emailSenders: string
  @description('Key Vault secret name of the email hash key; empty: no key (addresses are not stored).')
  emailHashKeySecretName: string
  emailHistoryTable: string
  calendarEventsTable: string
  checkpointsTable: string
}

@description('Partners whose webhook signing secrets the app reads from Key Vault (WebhooksOptions, section "Webhooks").')
param webhookPartners string[]

@description('Processing__RetryFor: how long a message is rescheduled after transient Twine failures before it is recorded as failed.')
param processingRetryFor string

@description('Largest number of instances the app scales out to.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int

@description('Memory of each instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int

// One setting per partner: the name of its Key Vault secret (values set out of band, never in a template).
var partnerSettings = map(webhookPartners, partner => {
  name: 'Webhooks__Partners__${partner}__SecretName'
  value: 'webhook-secret-${partner}'
})

resource storageAccount 'Microsoft.Storage/storageAccounts@2025-06-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2025-03-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': azdServiceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityResourceId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    // Key Vault references in app settings (the email hash key) resolve with the same identity.
    keyVaultReferenceIdentity: identityResourceId
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageAccount.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityResourceId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      appSettings: concat(
        [
          // Functions host storage: blobs (leases, keys, timer schedules), queues and tables with the identity.
          {
            name: 'AzureWebJobsStorage__credential'
            value: 'managedidentity'
          }
          {
            name: 'AzureWebJobsStorage__clientId'
            value: identityClientId
          }
          {
            name: 'AzureWebJobsStorage__blobServiceUri'
            value: storageAccount.properties.primaryEndpoints.blob
          }
          {
            name: 'AzureWebJobsStorage__queueServiceUri'
            value: storageAccount.properties.primaryEndpoints.queue
          }
          {
            name: 'AzureWebJobsStorage__tableServiceUri'
            value: storageAccount.properties.primaryEndpoints.table
          }
          // The app's connection "TwineStorage" (StorageConnectionOptions; the queue triggers name it too).
          {
            name: 'TwineStorage__credential'
            value: 'managedidentity'
          }
          {
            name: 'TwineStorage__clientId'
            value: identityClientId
          }
          {
            name: 'TwineStorage__queueServiceUri'
            value: storageAccount.properties.primaryEndpoints.queue
          }
          {
            name: 'TwineStorage__tableServiceUri'
            value: storageAccount.properties.primaryEndpoints.table
          }
          // The app's one DefaultAzureCredential (Key Vault, the app's storage clients) picks the user-assigned identity by it
          // (after TwineStorage__clientId, which names the same identity).
          {
            name: 'AZURE_CLIENT_ID'
            value: identityClientId
          }
          // Telemetry with Microsoft Entra authentication: the component has local authentication off.
          {
            name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
            value: applicationInsights.properties.ConnectionString
          }
          {
            name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
            value: 'ClientId=${identityClientId};Authorization=AAD'
          }
          // Twine client (TwineClientOptions, section "Twine"). Credentials come from Key Vault, never from settings.
          {
            name: 'Twine__BaseAddress'
            value: twineBaseAddress
          }
          // The app's Key Vault (TwineSecretsOptions, section "TwineSecrets"): where the Twine credentials live (secret
          // names, not values; partners' webhook secrets are named by Webhooks__Partners__<partner>__SecretName), and
          // how long a secret read from it is reused (every secret alike; partners' rotations are picked up within it).
          {
            name: 'TwineSecrets__VaultUri'
            value: keyVaultUri
          }
          {
            name: 'TwineSecrets__ClientIdSecretName'
            value: twineSecretNames.clientId
          }
          {
            name: 'TwineSecrets__ClientSecretSecretName'
            value: twineSecretNames.clientSecret
          }
          {
            name: 'TwineSecrets__CacheTimeToLive'
            value: '00:05:00'
          }
          // Queue and table names (StorageOptions, section "Storage"), the same ones the storage module creates.
          {
            name: 'Storage__MetricsQueue'
            value: queueNames.metrics
          }
          {
            name: 'Storage__CalendarEventsQueue'
            value: queueNames.calendarEvents
          }
          {
            name: 'Storage__IngestionsTable'
            value: tableNames.ingestions
          }
          {
            name: 'Storage__IngestionResultsTable'
            value: tableNames.ingestionResults
          }
          {
            name: 'Storage__CalendarEventLinksTable'
            value: tableNames.calendarEventLinks
          }
          {
            name: 'Storage__IngestionKeysTable'
            value: tableNames.ingestionKeys
          }
          // Queue processing (ProcessingOptions, section "Processing"): the give-up age of rescheduled messages.
          {
            name: 'Processing__RetryFor'
            value: processingRetryFor
          }
          // The timer that polls Twine for changes (PollingOptions, section "PollTwineUpdates").
          {
            name: 'PollTwineUpdates__Schedule'
            value: polling.schedule
          }
          {
            name: 'PollTwineUpdates__Organization'
            value: polling.organization
          }
          {
            name: 'PollTwineUpdates__EmailSenders'
            value: polling.emailSenders
          }
          // A key, so never a value here: a Key Vault reference the platform resolves with the identity, or empty.
          {
            name: 'PollTwineUpdates__EmailHashKey'
            value: empty(polling.emailHashKeySecretName)
              ? ''
              : '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=${polling.emailHashKeySecretName})'
          }
          {
            name: 'PollTwineUpdates__EmailHistoryTable'
            value: polling.emailHistoryTable
          }
          {
            name: 'PollTwineUpdates__CalendarEventsTable'
            value: polling.calendarEventsTable
          }
          {
            name: 'PollTwineUpdates__CheckpointsTable'
            value: polling.checkpointsTable
          }
        ],
        partnerSettings
      )
    }
  }
}

// No FTP and no basic (user name and password) publishing: deployments authenticate with Microsoft Entra ID.
resource ftpPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2025-03-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2025-03-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

output name string = site.name
output defaultHostName string = site.properties.defaultHostName
