// The two profiles of the parameter files: what differs between a development and a production environment.
// main.bicepparam picks one by the variable TWINE_PROFILE (azd env set TWINE_PROFILE prod), prod.bicepparam always
// takes prod; both import this file, so a value is written once. Reasons for each value: docs/DEPLOY.md#profiles.

@export()
@description('Settings per profile: dev stays cheap (public endpoints, scale to zero, LRS); prod is isolated and zone redundant.')
var profiles = {
  dev: {
    // Public endpoints, still identity-only (no keys anywhere).
    vnetEnabled: false
    zoneRedundant: false
    storageSkuName: 'Standard_LRS'
    // Scale to zero: a cold start on the first webhook after a quiet spell.
    alwaysReadyHttpInstances: 0
    maximumInstanceCount: 10
    instanceMemoryMB: 2048
    logRetentionInDays: 30
  }
  prod: {
    // VNet integration, private endpoints for blob, queue, table and Key Vault, public access to them disabled.
    vnetEnabled: true
    // Zone-redundant plan and storage: only in regions with availability zones that offer them (docs/DEPLOY.md).
    zoneRedundant: true
    storageSkuName: 'Standard_ZRS'
    // One warm instance for the webhooks, so partners never wait for a cold start.
    alwaysReadyHttpInstances: 1
    // 20 instances: the HTTP group and each queue function scale separately within this one ceiling. An instance
    // takes 16 concurrent HTTP requests (Flex's default at 2048 MB) and 24 queue messages (host.json batchSize 16 +
    // newBatchThreshold 8), so 20 covers bursts well above the measured ~190 requests/s of one instance while bounding
    // what the app can send Twine at once (at most 20 x 24 writes in flight) and the bill of a runaway scale-out.
    maximumInstanceCount: 20
    instanceMemoryMB: 2048
    logRetentionInDays: 90
  }
}

@export()
@description('A comma-separated list as an array: entries trimmed, empty entries dropped ("acme, contoso," gives acme and contoso).')
func splitList(list string) string[] => filter(map(split(list, ','), item => trim(item)), item => !empty(item))
