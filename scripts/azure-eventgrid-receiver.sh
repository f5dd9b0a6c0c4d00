#!/usr/bin/env bash
# The Azure side of the Event Grid receiver (docs/deploy.md, "Azure: scheduled events through Event Grid"):
# an Event Grid system topic of Azure Resource Notifications for the subscription's maintenance events, and
# an event subscription that delivers `Microsoft.Maintenance/scheduledEvents/write` events to the receiver's
# Function URL with the receiver key in the URL (Event Grid keeps the endpoint URL secret).
#
#   SUBSCRIPTION_ID=... RESOURCE_GROUP=gpu-fleet RECEIVER_URL=https://....lambda-url.us-east-1.on.aws/ \
#   RECEIVER_KEY="$(cat receiver-key)" scripts/azure-eventgrid-receiver.sh
#
# RECEIVER_URL is the deploy output `eventGridReceiverUrl`; RECEIVER_KEY the value of the SST secret
# `EventGridReceiverKey` (`npx sst secret set EventGridReceiverKey "$(openssl rand -hex 32)" --stage STAGE`).
# The subscription's creation runs the validation handshake against the receiver: deploy it first.
set -euo pipefail

: "${SUBSCRIPTION_ID:?set SUBSCRIPTION_ID to the Azure subscription of the scale sets}"
: "${RESOURCE_GROUP:?set RESOURCE_GROUP to the resource group that holds the system topic}"
: "${RECEIVER_URL:?set RECEIVER_URL to the deploy output eventGridReceiverUrl}"
: "${RECEIVER_KEY:?set RECEIVER_KEY to the EventGridReceiverKey secret}"
TOPIC="${TOPIC:-gpu-autoscaler-maintenance}"
EVENT_SUBSCRIPTION="${EVENT_SUBSCRIPTION:-gpu-autoscaler-receiver}"
# Azure Resource Notifications' topic type for maintenance events; list the types with
#   az eventgrid topic-type list --query "[?contains(name, 'ResourceNotifications')].name" -o tsv
TOPIC_TYPE="${TOPIC_TYPE:-Microsoft.ResourceNotifications.MaintenanceResources}"

az account set --subscription "$SUBSCRIPTION_ID"

# 1. The system topic (one per source: reused when it exists).
az eventgrid system-topic show --name "$TOPIC" --resource-group "$RESOURCE_GROUP" >/dev/null 2>&1 ||
  az eventgrid system-topic create --name "$TOPIC" --resource-group "$RESOURCE_GROUP" --location global \
    --topic-type "$TOPIC_TYPE" --source "/subscriptions/${SUBSCRIPTION_ID}"

# 2. The webhook subscription: the key travels in the endpoint's query (`code`), which Event Grid stores as
#    a secret and never shows back. Retries for 30 minutes at most: a notice older than that is history.
az eventgrid system-topic event-subscription create --name "$EVENT_SUBSCRIPTION" \
  --resource-group "$RESOURCE_GROUP" --system-topic-name "$TOPIC" \
  --endpoint-type webhook --endpoint "${RECEIVER_URL%/}/?code=${RECEIVER_KEY}" \
  --event-delivery-schema eventgridschema \
  --included-event-types "Microsoft.Maintenance/scheduledEvents/write" \
  --max-delivery-attempts 10 --event-ttl 30

echo "Event Grid subscription ${EVENT_SUBSCRIPTION} delivers to ${RECEIVER_URL} (validated)."
