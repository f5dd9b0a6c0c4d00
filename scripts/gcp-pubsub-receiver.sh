#!/usr/bin/env bash
# The GCP side of the Pub/Sub receiver (docs/deploy.md, "GCP: preemptions and alerts through Pub/Sub"):
# a topic, a log sink that publishes Compute Engine preemptions to it, a service account the push signs its
# OIDC tokens as, and a push subscription to the receiver's Function URL. Optionally a Cloud Monitoring
# notification channel on the same topic (alerts reach the alarm function).
#
#   PROJECT=my-project RECEIVER_URL=https://....lambda-url.us-east-1.on.aws/ AUDIENCE=gpu-autoscaler-production-pubsub \
#     scripts/gcp-pubsub-receiver.sh
#
# RECEIVER_URL and AUDIENCE are the deploy outputs `pubsubReceiverUrl` and `pubsubAudience`. Deploy with
# AUTOSCALER_PUBSUB_SERVICE_ACCOUNT=gpu-autoscaler-push@PROJECT.iam.gserviceaccount.com (printed at the end)
# and AUTOSCALER_PUBSUB_SUBSCRIPTION=projects/PROJECT/subscriptions/$SUBSCRIPTION. Idempotent: what exists is kept.
set -euo pipefail

: "${PROJECT:?set PROJECT to the GCP project of the managed instance groups}"
: "${RECEIVER_URL:?set RECEIVER_URL to the deploy output pubsubReceiverUrl}"
: "${AUDIENCE:?set AUDIENCE to the deploy output pubsubAudience}"
TOPIC="${TOPIC:-gpu-autoscaler-notices}"
SINK="${SINK:-gpu-autoscaler-preemptions}"
SUBSCRIPTION="${SUBSCRIPTION:-gpu-autoscaler-push}"
PUSH_ACCOUNT_NAME="${PUSH_ACCOUNT_NAME:-gpu-autoscaler-push}"
PUSH_ACCOUNT="${PUSH_ACCOUNT_NAME}@${PROJECT}.iam.gserviceaccount.com"
MONITORING_CHANNEL="${MONITORING_CHANNEL:-yes}"

exists() { "$@" >/dev/null 2>&1; }

# 1. The topic both the log sink and Cloud Monitoring publish to.
exists gcloud pubsub topics describe "$TOPIC" --project "$PROJECT" ||
  gcloud pubsub topics create "$TOPIC" --project "$PROJECT"

# 2. A log sink of preemptions (the system-event audit log Compute Engine writes for each one), and the
#    sink's writer identity allowed to publish to the topic.
FILTER='protoPayload.methodName="compute.instances.preempted"'
exists gcloud logging sinks describe "$SINK" --project "$PROJECT" ||
  gcloud logging sinks create "$SINK" "pubsub.googleapis.com/projects/${PROJECT}/topics/${TOPIC}" \
    --log-filter="$FILTER" --project "$PROJECT"
WRITER="$(gcloud logging sinks describe "$SINK" --project "$PROJECT" --format='value(writerIdentity)')"
gcloud pubsub topics add-iam-policy-binding "$TOPIC" --project "$PROJECT" \
  --member="$WRITER" --role=roles/pubsub.publisher >/dev/null

# 3. The service account the push subscription signs its tokens as. It needs no role: only its identity is
#    used. Pub/Sub's service agent must be allowed to mint tokens for it (projects made before April 2021
#    lack this by default).
exists gcloud iam service-accounts describe "$PUSH_ACCOUNT" --project "$PROJECT" ||
  gcloud iam service-accounts create "$PUSH_ACCOUNT_NAME" --project "$PROJECT" \
    --display-name="GPU autoscaler Pub/Sub push"
NUMBER="$(gcloud projects describe "$PROJECT" --format='value(projectNumber)')"
gcloud iam service-accounts add-iam-policy-binding "$PUSH_ACCOUNT" --project "$PROJECT" \
  --member="serviceAccount:service-${NUMBER}@gcp-sa-pubsub.iam.gserviceaccount.com" \
  --role=roles/iam.serviceAccountTokenCreator >/dev/null

# 4. The push subscription: an OIDC token for the audience on every delivery; retries back off from 1 s to
#    a minute (a preemption gives 30 s, so the first retries matter); a message is kept an hour.
if exists gcloud pubsub subscriptions describe "$SUBSCRIPTION" --project "$PROJECT"; then
  gcloud pubsub subscriptions update "$SUBSCRIPTION" --project "$PROJECT" \
    --push-endpoint="$RECEIVER_URL" --push-auth-service-account="$PUSH_ACCOUNT" \
    --push-auth-token-audience="$AUDIENCE"
else
  gcloud pubsub subscriptions create "$SUBSCRIPTION" --project "$PROJECT" --topic="$TOPIC" \
    --push-endpoint="$RECEIVER_URL" --push-auth-service-account="$PUSH_ACCOUNT" \
    --push-auth-token-audience="$AUDIENCE" \
    --ack-deadline=20 --min-retry-delay=1s --max-retry-delay=60s --message-retention-duration=1h
fi

# 5. Optional: Cloud Monitoring alerts on the same topic (add the channel to the alert policies).
if [ "$MONITORING_CHANNEL" = "yes" ]; then
  gcloud pubsub topics add-iam-policy-binding "$TOPIC" --project "$PROJECT" \
    --member="serviceAccount:service-${NUMBER}@gcp-sa-monitoring-notification.iam.gserviceaccount.com" \
    --role=roles/pubsub.publisher >/dev/null
  gcloud beta monitoring channels list --project "$PROJECT" --filter="type=\"pubsub\" AND labels.topic=\"projects/${PROJECT}/topics/${TOPIC}\"" \
    --format='value(name)' | grep -q . ||
    gcloud beta monitoring channels create --project "$PROJECT" --type=pubsub \
      --display-name="GPU autoscaler" --channel-labels="topic=projects/${PROJECT}/topics/${TOPIC}"
fi

echo "AUTOSCALER_PUBSUB_SERVICE_ACCOUNT=${PUSH_ACCOUNT}"
echo "AUTOSCALER_PUBSUB_SUBSCRIPTION=projects/${PROJECT}/subscriptions/${SUBSCRIPTION}"
