// The function app on the Flex Consumption plan (Linux, dotnet-isolated 10.0), running as a user-assigned managed
// identity. Every connection is identity based: the Functions host's storage (AzureWebJobsStorage__*), the app's
// queues and tables (TwineStorage__*), the deployment package container, Key Vault (TwineSecrets__VaultUri) and
// Application Insights (APPLICATIONINSIGHTS_AUTHENTICATION_STRING). No app setting holds a key or a secret, and none is a
// Key Vault reference: the app reads every secret (Twine credentials, partners' signing secrets, the email hash key)
// from the vault at TwineSecrets__VaultUri with SecretClient, so a secret that is missing or not yet readable degrades
// one feature instead of stopping the app.
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
  calendarEventLinks: string
  ingestionKeys: string
  ingestionIndex: string
  ingestionMessages: string
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
  @description('PollingOptions.EmailOverlap, a TimeSpan.')
  emailOverlap: string
  @description('PollingOptions.CalendarOverlap, a TimeSpan.')
  calendarOverlap: string
  @description('PollingOptions.TimeBudget, a TimeSpan.')
  timeBudget: string
  @description('PollingOptions.PageSize.')
  pageSize: int
  emailHistoryTable: string
  calendarEventsTable: string
  checkpointsTable: string
  emailRecheckTable: string
}

@description('Partners whose webhook signing secrets the app reads from Key Vault (WebhooksOptions, section "Webhooks").')
param webhookPartners string[]

@description('The retention timer (RetentionOptions, section "Retention"): its NCRONTAB schedule and the days ingestions are kept.')
param retention {
  schedule: string
  days: int
}

@description('Partners\' FHIR settings as app settings (name/value pairs, Fhir__Partners__<partner>__*), from main.bicep\'s fhirPartners.')
param fhirSettings object[]

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

@description('Always-ready instances of the http scaling group (0: scale to zero).')
@minValue(0)
param alwaysReadyHttpInstances int

@description('Zone-redundant plan (regions that support it only).')
param zoneRedundant bool

@description('Subnet (delegated to Microsoft.App/environments) the app integrates with; empty: no VNet integration.')
param subnetId string

@description('Log Analytics workspace that receives the app\'s FunctionAppLogs.')
param logAnalyticsWorkspaceName string

@description('The operators\' Microsoft Entra sign-in (App Service Authentication): the app registration\'s client id (empty: off), its tenant and the app role operators need (OperatorAuthOptions, section "OperatorAuth").')
param operatorSignIn {
  clientId: string
  tenantId: string
  role: string
}

// The operator routes (status, history, replay, console) require a signed-in operator only when the app knows App
// Service Authentication is in front of it: the setting and the authsettingsV2 resource below go together.
var operatorSignInEnabled = !empty(operatorSignIn.clientId)
var operatorSignInSettings = operatorSignInEnabled
  ? [
      {
        name: 'OperatorAuth__RequireSignIn'
        value: 'true'
      }
      {
        name: 'OperatorAuth__Role'
        value: operatorSignIn.role
      }
    ]
  : []

// One setting per partner: the name of its Key Vault secret (values set out of band, never in a template). The names
// are checked in main.bicep (letters and digits); the secret name is lowercase like the app's default
// (PartnerOptions.DefaultSecretName).
var partnerSettings = map(webhookPartners, partner => {
  name: 'Webhooks__Partners__${partner}__SecretName'
  value: 'webhook-secret-${toLower(partner)}'
})

// The email hash key is read from the vault by name (PollTwineUpdates__EmailHashKeySecretName); without a name the
// setting is left out and the poller stores no addresses.
var emailHashKeySettings = empty(polling.emailHashKeySecretName)
  ? []
  : [
      {
        name: 'PollTwineUpdates__EmailHashKeySecretName'
        value: polling.emailHashKeySecretName
      }
    ]

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
    zoneRedundant: zoneRedundant
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
    // The template sets no Key Vault reference; one added by hand would resolve with the app's identity.
    keyVaultReferenceIdentity: identityResourceId
    // Outbound traffic (storage, Key Vault, Twine) through the VNet when there is one.
    virtualNetworkSubnetId: empty(subnetId) ? null : subnetId
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
        // "http" is the scaling group of every HTTP-triggered function (the webhooks, status and health).
        alwaysReady: alwaysReadyHttpInstances > 0
          ? [
              {
                name: 'http'
                instanceCount: alwaysReadyHttpInstances
              }
            ]
          : []
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
            name: 'Storage__CalendarEventLinksTable'
            value: tableNames.calendarEventLinks
          }
          {
            name: 'Storage__IngestionKeysTable'
            value: tableNames.ingestionKeys
          }
          {
            name: 'Storage__IngestionIndexTable'
            value: tableNames.ingestionIndex
          }
          {
            name: 'Storage__IngestionMessagesTable'
            value: tableNames.ingestionMessages
          }
          // Queue processing (ProcessingOptions, section "Processing"): the give-up age of rescheduled messages.
          {
            name: 'Processing__RetryFor'
            value: processingRetryFor
          }
          // The retention timer (RetentionOptions, section "Retention").
          {
            name: 'Retention__Schedule'
            value: retention.schedule
          }
          {
            name: 'Retention__Days'
            value: string(retention.days)
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
          {
            name: 'PollTwineUpdates__EmailOverlap'
            value: polling.emailOverlap
          }
          {
            name: 'PollTwineUpdates__CalendarOverlap'
            value: polling.calendarOverlap
          }
          {
            name: 'PollTwineUpdates__TimeBudget'
            value: polling.timeBudget
          }
          {
            name: 'PollTwineUpdates__PageSize'
            value: string(polling.pageSize)
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
          {
            name: 'PollTwineUpdates__EmailRecheckTable'
            value: polling.emailRecheckTable
          }
        ],
        emailHashKeySettings,
        partnerSettings,
        fhirSettings,
        operatorSignInSettings
      )
    }
  }
}

resource workspace 'Microsoft.OperationalInsights/workspaces@2025-02-01' existing = {
  name: logAnalyticsWorkspaceName
}

// The platform's function execution logs beside Application Insights' telemetry.
resource appLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  scope: site
  name: 'logs-to-log-analytics'
  properties: {
    workspaceId: workspace.id
    logs: [
      {
        category: 'FunctionAppLogs'
        enabled: true
      }
    ]
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

// App Service Authentication with Microsoft Entra ID, for the operators. It signs people in but requires no one:
// requireAuthentication false and AllowAnonymous leave every decision to the app, so partners keep calling the
// webhooks with their function keys and no sign-in, while the operator routes refuse a request without a signed-in
// principal (401) or without the app role (403): OperatorAccess reads the X-MS-CLIENT-PRINCIPAL header this adds (and
// strips from callers). No client secret: sign-in returns an ID token (the registration must allow ID tokens), and the
// token store is off (Flex Consumption has no file share to keep it in; the session cookie carries the sign-in).
resource authSettings 'Microsoft.Web/sites/config@2025-03-01' = if (operatorSignInEnabled) {
  parent: site
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
    }
    globalValidation: {
      requireAuthentication: false
      unauthenticatedClientAction: 'AllowAnonymous'
    }
    httpSettings: {
      requireHttps: true
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: operatorSignIn.clientId
          openIdIssuer: '${environment().authentication.loginEndpoint}${operatorSignIn.tenantId}/v2.0'
        }
        validation: {
          allowedAudiences: [
            'api://${operatorSignIn.clientId}'
            operatorSignIn.clientId
          ]
        }
      }
    }
    login: {
      tokenStore: {
        enabled: false
      }
    }
  }
}

output name string = site.name
output defaultHostName string = site.properties.defaultHostName
