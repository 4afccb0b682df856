#!/bin/sh
# azd postprovision hook: prints, with this environment's vault filled in, the commands that put the secrets into Key
# Vault. It runs none of them: secret values are typed by a person at a prompt (never in a template, a parameter, an
# azd variable or the shell history). Reads what azd passes to hooks: AZURE_KEY_VAULT_NAME and the template's other
# outputs (TWINE_WEBHOOK_PARTNER_NAMES, TWINE_VNET_ENABLED), and TWINE_EMAIL_HASH_KEY_SECRET_NAME.
# By hand: AZURE_KEY_VAULT_NAME=<vault> sh infra/scripts/postprovision.sh   (docs/DEPLOY.md)
set -eu

vault="${AZURE_KEY_VAULT_NAME:-}"
if [ -z "$vault" ]; then
  echo "postprovision: AZURE_KEY_VAULT_NAME is not set (azd env get-values shows the outputs); nothing to print." >&2
  exit 1
fi

# The secret names main.bicepparam and prod.bicepparam give the app (TwineSecrets__ClientIdSecretName, ...SecretSecretName).
client_id_secret=twine-client-id
client_secret_secret=twine-client-secret

cat <<TEXT

Key Vault $vault: set the secrets the app reads (docs/DEPLOY.md#set-the-secrets). These commands are printed, not run.
Values are typed at a prompt, so they stay out of the shell history. You need a role that may write secrets, once:

  az role assignment create --role "Key Vault Secrets Officer" --assignee "\$(az ad signed-in-user show --query id -o tsv)" --scope "\$(az keyvault show --name $vault --query id -o tsv)"

Twine's API credentials (the organisation's client id and secret):

  read -rsp 'Twine client id: ' value && echo && az keyvault secret set --vault-name $vault --name $client_id_secret --value "\$value" -o none
  read -rsp 'Twine client secret: ' value && echo && az keyvault secret set --vault-name $vault --name $client_secret_secret --value "\$value" -o none
  unset value
TEXT

partners="${TWINE_WEBHOOK_PARTNER_NAMES:-}"
if [ -n "$partners" ]; then
  cat <<TEXT

Partners' webhook signing secrets (one whsec_ secret each; two separated by a space during a rotation). Skip a partner
whose secret is already set: a new one breaks its signatures until the partner has it too.

TEXT
  echo "$partners" | tr ',' '\n' | while IFS= read -r partner; do
    partner=$(printf '%s' "$partner" | tr -d ' ')
    [ -n "$partner" ] || continue
    secret="webhook-secret-$(printf '%s' "$partner" | tr '[:upper:]' '[:lower:]')"
    echo "  az keyvault secret set --vault-name $vault --name $secret --value \"whsec_\$(openssl rand -base64 32)\" -o none   # partner $partner"
  done
  echo "  az keyvault secret show --vault-name $vault --name <secret> --query value -o tsv   # to hand a partner its secret"
else
  echo
  echo "No webhook partners (TWINE_WEBHOOK_PARTNERS is empty): every webhook write is refused until you add one."
fi

hash_key="${TWINE_EMAIL_HASH_KEY_SECRET_NAME:-}"
if [ -n "$hash_key" ]; then
  cat <<TEXT

The key that hashes email addresses, ONLY if the secret does not exist yet (a new key changes every hash written after it):

  az keyvault secret show --vault-name $vault --name $hash_key --query name -o tsv 2>/dev/null || az keyvault secret set --vault-name $vault --name $hash_key --value "\$(openssl rand -base64 32)" -o none
TEXT
fi

if [ "${TWINE_VNET_ENABLED:-false}" = "true" ]; then
  cat <<TEXT

This environment's vault takes no public traffic (production profile). Run the commands from inside its virtual network,
or let your address in for the time it takes, and shut it again (the next azd provision shuts it too):

  az keyvault update --name $vault --public-network-access Enabled --default-action Deny -o none
  az keyvault network-rule add --name $vault --ip-address <your public IP address>/32 -o none
  # ... the commands above ...
  az keyvault update --name $vault --public-network-access Disabled -o none
TEXT
fi

cat <<TEXT

Then check the app: curl -s "https://\$AZURE_FUNCTION_APP_HOST_NAME/api/health" -H "x-functions-key: <key>" (docs/DEPLOY.md#verify).
TEXT
