// Parameters of an environment, for azd and for az deployment. TWINE_PROFILE chooses the profile: dev (the default,
// cheap) or prod (private networking, zone redundancy, a warm instance; the same values as prod.bicepparam). azd sets
// AZURE_ENV_NAME and AZURE_LOCATION from the environment it provisions and passes every variable of
// .azure/<environment>/.env (azd env set NAME value); `az deployment group create` reads the shell's variables.
// The Twine secrets are not parameters: only their names are, and their values go into Key Vault out of band.
using 'main.bicep'

import { profiles, splitList } from 'profiles.bicep'

var profileName = toLower(trim(readEnvironmentVariable('TWINE_PROFILE', 'dev')))
var profile = profileName == 'prod' ? profiles.prod : profiles.dev

param environmentName = readEnvironmentVariable('AZURE_ENV_NAME', 'dev')
param location = readEnvironmentVariable('AZURE_LOCATION', 'westeurope')

// Twine's API root. Point a dev environment at the Twine environment your organisation was given for testing.
param twineBaseAddress = readEnvironmentVariable('TWINE_BASE_ADDRESS', 'https://api.twinehealth.com/pub/')

param twineClientIdSecretName = 'twine-client-id'
param twineClientSecretSecretName = 'twine-client-secret'

// The timer that polls Twine (PollTwineUpdates__*): every five minutes on the minute, 24 h of email overlap, 5 minutes
// of calendar overlap, 4 minutes a run, 50 resources a page unless the variables say otherwise.
param pollSchedule = readEnvironmentVariable('TWINE_POLL_SCHEDULE', '0 */5 * * * *')
param pollEmailOverlap = readEnvironmentVariable('TWINE_POLL_EMAIL_OVERLAP', '1.00:00:00')
param pollCalendarOverlap = readEnvironmentVariable('TWINE_POLL_CALENDAR_OVERLAP', '00:05:00')
param pollTimeBudget = readEnvironmentVariable('TWINE_POLL_TIME_BUDGET', '00:04:00')
param pollPageSize = int(readEnvironmentVariable('TWINE_POLL_PAGE_SIZE', '50'))

// Required: the Twine organization whose calendar events are polled (azd env set TWINE_ORGANIZATION <24 hex digits>).
param twineOrganization = readEnvironmentVariable('TWINE_ORGANIZATION')

// Optional: coach ids whose sent emails are polled, and the Key Vault secret with the key that hashes email addresses.
param twineEmailSenders = join(splitList(readEnvironmentVariable('TWINE_EMAIL_SENDERS', '')), ',')
param emailHashKeySecretName = trim(readEnvironmentVariable('TWINE_EMAIL_HASH_KEY_SECRET_NAME', ''))

// Partners allowed to call the webhooks, comma-separated, the WHOLE list every time (azd env set TWINE_WEBHOOK_PARTNERS
// acme,contoso): a partner left out loses its setting at the next provision. Spaces around names are dropped; each
// name must be letters and digits (main.bicep stops the deployment otherwise). Each signs with the secrets in Key Vault
// secret webhook-secret-<partner>.
param webhookPartners = splitList(readEnvironmentVariable('TWINE_WEBHOOK_PARTNERS', ''))

// Partners' FHIR settings, a JSON array, the WHOLE list every time (a partner left out loses its FHIR settings at the
// next provision): azd env set TWINE_FHIR_PARTNERS '[{"partner":"acme","organization":"<24 hex digits>",
// "identifierSystems":[{"fhirSystem":"http://hospital.example.org/mrn","twineSystem":"medical-record-number"}]}]'
// Each partner must be in TWINE_WEBHOOK_PARTNERS. Members: docs/DEPLOY.md#partner-fhir-settings.
param fhirPartners = json(readEnvironmentVariable('TWINE_FHIR_PARTNERS', '[]'))

// Who is e-mailed when an alert fires, comma-separated (azd env set TWINE_ALERT_EMAILS ops@example.com).
param alertEmailReceivers = splitList(readEnvironmentVariable('TWINE_ALERT_EMAILS', ''))

// Optional: the operators' Microsoft Entra sign-in (App Service Authentication; docs/DEPLOY.md#operator-sign-in). The app
// registration's Application (client) ID turns it on; the tenant defaults to the deployment's; the app role operators
// need defaults to Twine.Operator.
param operatorSignInClientId = trim(readEnvironmentVariable('TWINE_OPERATOR_CLIENT_ID', ''))
param operatorSignInTenantId = trim(readEnvironmentVariable('TWINE_OPERATOR_TENANT_ID', ''))
param operatorRole = trim(readEnvironmentVariable('TWINE_OPERATOR_ROLE', 'Twine.Operator'))

// What differs between profiles (profiles.bicep).
param vnetEnabled = profile.vnetEnabled
param zoneRedundant = profile.zoneRedundant
param storageSkuName = profile.storageSkuName
param alwaysReadyHttpInstances = profile.alwaysReadyHttpInstances
param maximumInstanceCount = profile.maximumInstanceCount
param instanceMemoryMB = profile.instanceMemoryMB
param logRetentionInDays = profile.logRetentionInDays

// An unknown profile stops the build here with the variable's name.
param tags = contains(['dev', 'prod'], profileName)
  ? {
      environment: profileName
      application: 'twine-functions'
    }
  : fail('TWINE_PROFILE must be dev or prod, not \'${profileName}\'.')
