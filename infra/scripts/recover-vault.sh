#!/bin/sh
# Recovers this environment's Key Vault after `azd down` (or any deletion of its resource group), with its secrets.
# The vault has purge protection, so a deleted vault is kept, soft-deleted, for 90 days and its name cannot be reused
# meanwhile: without recovery the next deployment fails with "The vault name ... is already in use" / "in a deleted
# state". The template names the vault the same for every deployment of an environment (main.bicep, keyVaultName), so
# recovering it and deploying again updates it in place.
#
#   sh infra/scripts/recover-vault.sh <vault name>        (run by the azd preprovision hook with AZURE_KEY_VAULT_NAME)
#
# Needs the Azure CLI, signed in (az login) with a role that may recover vaults and create resource groups. Exits 0
# when there is nothing to do or it cannot look (then it says what to run), so it never blocks a first deployment.
set -eu

vault="${1:-}"
if [ -z "$vault" ]; then
  echo "usage: recover-vault.sh <vault name>" >&2
  exit 2
fi

if ! command -v az >/dev/null 2>&1 || ! az account show --query id -o tsv >/dev/null 2>&1; then
  echo "recover-vault: the Azure CLI is missing or not signed in, so a soft-deleted vault $vault cannot be looked for."
  echo "recover-vault: if provisioning then fails because $vault is in a deleted state: az login && sh infra/scripts/recover-vault.sh $vault"
  exit 0
fi

if az keyvault show --name "$vault" --query name -o tsv >/dev/null 2>&1; then
  echo "recover-vault: Key Vault $vault exists; nothing to recover."
  exit 0
fi

vault_id=$(az keyvault show-deleted --name "$vault" --query properties.vaultId -o tsv 2>/dev/null || true)
if [ -z "$vault_id" ]; then
  echo "recover-vault: no Key Vault $vault, deleted or not; the deployment creates it."
  exit 0
fi

# The vault comes back into the resource group it was deleted from, which azd down deleted too.
location=$(az keyvault show-deleted --name "$vault" --query properties.location -o tsv)
group=$(printf '%s\n' "$vault_id" | sed -n 's#.*/resourceGroups/\([^/]*\)/.*#\1#p')
if [ -n "$group" ] && [ "$(az group exists --name "$group")" != "true" ]; then
  echo "recover-vault: creating resource group $group in $location for the recovered vault."
  az group create --name "$group" --location "$location" -o none
fi

echo "recover-vault: recovering soft-deleted Key Vault $vault (its secrets come back with it)."
az keyvault recover --name "$vault" -o none
echo "recover-vault: recovered $vault. People who set secrets need their role on it again (docs/DEPLOY.md#redeploy-after-azd-down)."
