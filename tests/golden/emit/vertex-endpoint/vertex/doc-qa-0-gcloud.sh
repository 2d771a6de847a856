#!/usr/bin/env bash
# A Vertex AI endpoint for one workload of a plan, written by `planner emit`: the same calls
# as the JSON request bodies beside this file. Set PROJECT in the environment to override it.
set -euo pipefail
WORKLOAD=doc-qa
PLAN_ID=a6c4ee1c15d2
DEFAULT_PROJECT=acme-llm-prod
PROJECT="${PROJECT:-$DEFAULT_PROJECT}"
REGION=us-central1
# gcloud's `ai models upload` has no flag for a customer-managed key and `ai endpoints create`
# none for Private Service Connect: this script stops rather than deploy without them.
echo "This endpoint needs a customer-managed key or Private Service Connect, which gcloud cannot" >&2
echo "set on every resource; run: planner launch PLAN --target vertex --apply" >&2
exit 2
echo "Deploying workload $WORKLOAD (plan $PLAN_ID) to Vertex AI in $PROJECT/$REGION" >&2

gcloud ai models upload --project="$PROJECT" --region="$REGION" \
  --model-id=doc-qa-a6c4ee1c15d2-v0 \
  --display-name=doc-qa-a6c4ee1c15d2-v0 \
  --container-image-uri=vllm/vllm-openai:v0.8.5 \
  --container-command=python3,-m,vllm.entrypoints.openai.api_server \
  --container-args='^|^--model|Qwen/Qwen2.5-7B-Instruct|--served-model-name|doc-qa|--port|8000|--tensor-parallel-size|1|--max-num-seqs|178|--max-model-len|2250|--dtype|bfloat16' \
  --container-ports=8000 \
  --container-health-route=/health \
  --container-predict-route=/v1/chat/completions

gcloud ai models upload --project="$PROJECT" --region="$REGION" \
  --model-id=doc-qa-a6c4ee1c15d2-v1 \
  --display-name=doc-qa-a6c4ee1c15d2-v1 \
  --container-image-uri=vllm/vllm-openai:v0.8.5 \
  --container-command=python3,-m,vllm.entrypoints.openai.api_server \
  --container-args='^|^--model|Qwen/Qwen2.5-7B-Instruct|--served-model-name|doc-qa|--port|8000|--tensor-parallel-size|1|--max-num-seqs|51|--max-model-len|2250|--dtype|bfloat16' \
  --container-ports=8000 \
  --container-health-route=/health \
  --container-predict-route=/v1/chat/completions

gcloud ai endpoints create --project="$PROJECT" --region="$REGION" \
  --endpoint-id=doc-qa \
  --display-name=doc-qa \
  --labels=cost-center=cc-4711,managed-by=llm-placement-planner,planner-plan-id=a6c4ee1c15d2,planner-workload=doc-qa,team=search

gcloud ai endpoints deploy-model doc-qa --project="$PROJECT" --region="$REGION" \
  --model=doc-qa-a6c4ee1c15d2-v0 \
  --display-name=doc-qa-v0-a2-highgpu-2g \
  --deployed-model-id=466000085 \
  --machine-type=a2-highgpu-2g \
  --accelerator=type=nvidia-tesla-a100,count=2 \
  --service-account=doc-qa-serving@acme-llm-prod.iam.gserviceaccount.com \
  --min-replica-count=1 \
  --max-replica-count=2 \
  --autoscaling-metric-specs=gpu-duty-cycle=70 \
  --traffic-split=0=100

gcloud ai endpoints deploy-model doc-qa --project="$PROJECT" --region="$REGION" \
  --model=doc-qa-a6c4ee1c15d2-v1 \
  --display-name=doc-qa-v1-g2-standard-4 \
  --deployed-model-id=346974944 \
  --machine-type=g2-standard-4 \
  --accelerator=type=nvidia-l4,count=1 \
  --service-account=doc-qa-serving@acme-llm-prod.iam.gserviceaccount.com \
  --min-replica-count=1 \
  --max-replica-count=4 \
  --autoscaling-metric-specs=gpu-duty-cycle=70 \
  --traffic-split=0=6,466000085=94

