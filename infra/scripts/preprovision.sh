#!/bin/sh
# azd preprovision hook: after `azd down`, the environment's Key Vault is soft-deleted and holds its name; recover it
# (infra/scripts/recover-vault.sh) so that provisioning updates it instead of failing. AZURE_KEY_VAULT_NAME is the
# previous provisioning's output, which azd keeps in .azure/<environment>/.env; the first provisioning has none.
set -eu

if [ -z "${AZURE_KEY_VAULT_NAME:-}" ]; then
  echo "preprovision: no AZURE_KEY_VAULT_NAME yet (first provisioning of this environment); no vault to recover."
  exit 0
fi

exec sh "$(dirname "$0")/recover-vault.sh" "$AZURE_KEY_VAULT_NAME"
