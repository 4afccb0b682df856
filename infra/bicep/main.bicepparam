// Parameters of a development environment. azd sets AZURE_ENV_NAME and AZURE_LOCATION from the environment it
// provisions (azd env new / azd up); `az deployment group create` uses the defaults below unless the variables are
// set. The Twine secrets are not parameters: only their names are, and their values go into Key Vault out of band.
using 'main.bicep'

param environmentName = readEnvironmentVariable('AZURE_ENV_NAME', 'dev')
param location = readEnvironmentVariable('AZURE_LOCATION', 'westeurope')

// Twine's API root. Point a dev environment at the Twine environment your organisation was given for testing.
param twineBaseAddress = readEnvironmentVariable('TWINE_BASE_ADDRESS', 'https://api.twinehealth.com/pub/')

param twineClientIdSecretName = 'twine-client-id'
param twineClientSecretSecretName = 'twine-client-secret'

// The timer that polls Twine: every five minutes, on the minute.
param pollSchedule = '0 */5 * * * *'

// Required: the Twine organization whose calendar events are polled (azd env set TWINE_ORGANIZATION <24 hex digits>).
param twineOrganization = readEnvironmentVariable('TWINE_ORGANIZATION')

// Optional: coach ids whose sent emails are polled, and the Key Vault secret with the key that hashes email addresses.
param twineEmailSenders = readEnvironmentVariable('TWINE_EMAIL_SENDERS', '')
param emailHashKeySecretName = readEnvironmentVariable('TWINE_EMAIL_HASH_KEY_SECRET_NAME', '')

// Partners allowed to call the webhooks, comma-separated (azd env set TWINE_WEBHOOK_PARTNERS acme,contoso); each signs
// with the secrets in Key Vault secret webhook-secret-<partner>.
param webhookPartners = empty(readEnvironmentVariable('TWINE_WEBHOOK_PARTNERS', ''))
  ? []
  : split(readEnvironmentVariable('TWINE_WEBHOOK_PARTNERS', ''), ',')

// A small ceiling for a development environment.
param maximumInstanceCount = 10
param instanceMemoryMB = 2048
param storageSkuName = 'Standard_LRS'
param logRetentionInDays = 30

param tags = {
  environment: 'dev'
  application: 'twine-functions'
}
