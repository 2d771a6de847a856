#!/usr/bin/env bash
# A Vertex AI endpoint for one workload of a plan, written by `planner emit`: the same calls
# as the JSON request bodies beside this file. Set PROJECT in the environment to override it.
set -euo pipefail
WORKLOAD=chat-tpu
PLAN_ID=vendortpu
DEFAULT_PROJECT=PROJECT_ID
PROJECT="${PROJECT:-$DEFAULT_PROJECT}"
REGION=us-central1
# gcloud's `ai models upload` has no flag for a customer-managed key and `ai endpoints create`
# none for Private Service Connect: this script stops rather than deploy without them.
echo "This endpoint needs a customer-managed key or Private Service Connect, which gcloud cannot" >&2
echo "set on every resource; run: planner launch PLAN --target vertex --apply" >&2
exit 2
echo "Deploying workload $WORKLOAD (plan $PLAN_ID) to Vertex AI in $PROJECT/$REGION" >&2

gcloud ai models upload --project="$PROJECT" --region="$REGION" \
  --model-id=chat-tpu-vendortpu-v0 \
  --display-name=chat-tpu-vendortpu-v0 \
  --container-image-uri=us-docker.pkg.dev/vertex-ai/vertex-vision-model-garden-dockers/pytorch-vllm-serve:20241107_0917_tpu_experimental_RC01 \
  --container-command=python3,-m,vllm.entrypoints.openai.api_server \
  --container-args='^|^--model|llama-3.1-8b|--served-model-name|chat-tpu|--port|8000|--tensor-parallel-size|4|--max-num-seqs|64|--max-model-len|4096|--dtype|bfloat16' \
  --container-ports=8000 \
  --container-health-route=/health \
  --container-predict-route=/v1/chat/completions

gcloud ai endpoints create --project="$PROJECT" --region="$REGION" \
  --endpoint-id=chat-tpu \
  --display-name=chat-tpu \
  --labels=managed-by=llm-placement-planner,planner-plan-id=vendortpu,planner-workload=chat-tpu

gcloud ai endpoints deploy-model chat-tpu --project="$PROJECT" --region="$REGION" \
  --model=chat-tpu-vendortpu-v0 \
  --display-name=chat-tpu-v0-ct5lp-hightpu-4t \
  --deployed-model-id=865428561 \
  --machine-type=ct5lp-hightpu-4t \
  --min-replica-count=1 \
  --max-replica-count=1 \
  --autoscaling-metric-specs=cpu-usage=70 \
  --traffic-split=0=100

