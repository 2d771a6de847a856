#!/usr/bin/env bash
# A Vertex AI endpoint for one workload of a plan, written by `planner emit`: the same calls
# as the JSON request bodies beside this file. Set PROJECT in the environment to override it.
set -euo pipefail
WORKLOAD=doc-qa
<<<<<<< HEAD
<<<<<<< HEAD
PLAN_ID=d306e318297b
=======
<<<<<<< HEAD
PLAN_ID=28c915a4dd3c
=======
PLAN_ID=a9900eac49d8
>>>>>>> 679e182 (Example plans and emitted golden files re-planned with the admission model and the refit)
>>>>>>> 1ee0a0e (Example plans and emitted golden files re-planned with the admission model and the refit)
=======
PLAN_ID=e51bf0ccf5f1
>>>>>>> b6ed248 (Golden plans and emitted files re-planned on main with the admission model and the refit (chatbot-fleet chat-8b 3+1 -> 2+2 g6e.xlarge, same cost; vertex-endpoint 10.75 -> 10.07 $/h; eu-residency-trt-llm 11.72 -> 9.95 $/h; nightly-batch-spot 43.15 -> 44.16 $/h, same instances))
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
<<<<<<< HEAD
<<<<<<< HEAD
  --model-id=doc-qa-d306e318297b-v0 \
  --display-name=doc-qa-d306e318297b-v0 \
=======
<<<<<<< HEAD
  --model-id=doc-qa-28c915a4dd3c-v0 \
  --display-name=doc-qa-28c915a4dd3c-v0 \
=======
  --model-id=doc-qa-a9900eac49d8-v0 \
  --display-name=doc-qa-a9900eac49d8-v0 \
>>>>>>> 679e182 (Example plans and emitted golden files re-planned with the admission model and the refit)
>>>>>>> 1ee0a0e (Example plans and emitted golden files re-planned with the admission model and the refit)
=======
  --model-id=doc-qa-e51bf0ccf5f1-v0 \
  --display-name=doc-qa-e51bf0ccf5f1-v0 \
>>>>>>> b6ed248 (Golden plans and emitted files re-planned on main with the admission model and the refit (chatbot-fleet chat-8b 3+1 -> 2+2 g6e.xlarge, same cost; vertex-endpoint 10.75 -> 10.07 $/h; eu-residency-trt-llm 11.72 -> 9.95 $/h; nightly-batch-spot 43.15 -> 44.16 $/h, same instances))
  --container-image-uri=vllm/vllm-openai:v0.8.5 \
  --container-command=python3,-m,vllm.entrypoints.openai.api_server \
  --container-args='^|^--model|Qwen/Qwen2.5-7B-Instruct|--served-model-name|doc-qa|--port|8000|--tensor-parallel-size|1|--max-num-seqs|178|--max-model-len|2250|--dtype|bfloat16' \
  --container-ports=8000 \
  --container-health-route=/health \
  --container-predict-route=/v1/chat/completions

gcloud ai models upload --project="$PROJECT" --region="$REGION" \
<<<<<<< HEAD
<<<<<<< HEAD
  --model-id=doc-qa-d306e318297b-v1 \
  --display-name=doc-qa-d306e318297b-v1 \
=======
<<<<<<< HEAD
  --model-id=doc-qa-28c915a4dd3c-v1 \
  --display-name=doc-qa-28c915a4dd3c-v1 \
=======
  --model-id=doc-qa-a9900eac49d8-v1 \
  --display-name=doc-qa-a9900eac49d8-v1 \
>>>>>>> 679e182 (Example plans and emitted golden files re-planned with the admission model and the refit)
>>>>>>> 1ee0a0e (Example plans and emitted golden files re-planned with the admission model and the refit)
=======
  --model-id=doc-qa-e51bf0ccf5f1-v1 \
  --display-name=doc-qa-e51bf0ccf5f1-v1 \
>>>>>>> b6ed248 (Golden plans and emitted files re-planned on main with the admission model and the refit (chatbot-fleet chat-8b 3+1 -> 2+2 g6e.xlarge, same cost; vertex-endpoint 10.75 -> 10.07 $/h; eu-residency-trt-llm 11.72 -> 9.95 $/h; nightly-batch-spot 43.15 -> 44.16 $/h, same instances))
  --container-image-uri=vllm/vllm-openai:v0.8.5 \
  --container-command=python3,-m,vllm.entrypoints.openai.api_server \
  --container-args='^|^--model|Qwen/Qwen2.5-7B-Instruct|--served-model-name|doc-qa|--port|8000|--tensor-parallel-size|1|--max-num-seqs|51|--max-model-len|2250|--dtype|bfloat16' \
  --container-ports=8000 \
  --container-health-route=/health \
  --container-predict-route=/v1/chat/completions

gcloud ai endpoints create --project="$PROJECT" --region="$REGION" \
  --endpoint-id=doc-qa \
  --display-name=doc-qa \
<<<<<<< HEAD
<<<<<<< HEAD
  --labels=cost-center=cc-4711,managed-by=llm-placement-planner,planner-plan-id=d306e318297b,planner-workload=doc-qa,team=search
=======
<<<<<<< HEAD
  --labels=cost-center=cc-4711,managed-by=llm-placement-planner,planner-plan-id=28c915a4dd3c,planner-workload=doc-qa,team=search
>>>>>>> 1ee0a0e (Example plans and emitted golden files re-planned with the admission model and the refit)

gcloud ai endpoints deploy-model doc-qa --project="$PROJECT" --region="$REGION" \
  --model=doc-qa-d306e318297b-v0 \
  --display-name=doc-qa-v0-a2-highgpu-2g \
<<<<<<< HEAD
  --deployed-model-id=500285471 \
=======
  --deployed-model-id=165618143 \
=======
  --labels=cost-center=cc-4711,managed-by=llm-placement-planner,planner-plan-id=a9900eac49d8,planner-workload=doc-qa,team=search

gcloud ai endpoints deploy-model doc-qa --project="$PROJECT" --region="$REGION" \
  --model=doc-qa-a9900eac49d8-v0 \
  --display-name=doc-qa-v0-a2-highgpu-2g \
  --deployed-model-id=391830860 \
>>>>>>> 679e182 (Example plans and emitted golden files re-planned with the admission model and the refit)
>>>>>>> 1ee0a0e (Example plans and emitted golden files re-planned with the admission model and the refit)
=======
  --labels=cost-center=cc-4711,managed-by=llm-placement-planner,planner-plan-id=e51bf0ccf5f1,planner-workload=doc-qa,team=search

gcloud ai endpoints deploy-model doc-qa --project="$PROJECT" --region="$REGION" \
  --model=doc-qa-e51bf0ccf5f1-v0 \
  --display-name=doc-qa-v0-a2-highgpu-2g \
  --deployed-model-id=434501216 \
>>>>>>> b6ed248 (Golden plans and emitted files re-planned on main with the admission model and the refit (chatbot-fleet chat-8b 3+1 -> 2+2 g6e.xlarge, same cost; vertex-endpoint 10.75 -> 10.07 $/h; eu-residency-trt-llm 11.72 -> 9.95 $/h; nightly-batch-spot 43.15 -> 44.16 $/h, same instances))
  --machine-type=a2-highgpu-2g \
  --accelerator=type=nvidia-tesla-a100,count=2 \
  --service-account=doc-qa-serving@acme-llm-prod.iam.gserviceaccount.com \
  --min-replica-count=1 \
  --max-replica-count=2 \
  --autoscaling-metric-specs=gpu-duty-cycle=70 \
  --traffic-split=0=100

gcloud ai endpoints deploy-model doc-qa --project="$PROJECT" --region="$REGION" \
<<<<<<< HEAD
<<<<<<< HEAD
  --model=doc-qa-d306e318297b-v1 \
=======
<<<<<<< HEAD
  --model=doc-qa-28c915a4dd3c-v1 \
>>>>>>> 1ee0a0e (Example plans and emitted golden files re-planned with the admission model and the refit)
  --display-name=doc-qa-v1-g2-standard-24 \
  --deployed-model-id=455547654 \
  --machine-type=g2-standard-24 \
  --accelerator=type=nvidia-l4,count=2 \
=======
  --model=doc-qa-a9900eac49d8-v1 \
=======
  --model=doc-qa-e51bf0ccf5f1-v1 \
>>>>>>> b6ed248 (Golden plans and emitted files re-planned on main with the admission model and the refit (chatbot-fleet chat-8b 3+1 -> 2+2 g6e.xlarge, same cost; vertex-endpoint 10.75 -> 10.07 $/h; eu-residency-trt-llm 11.72 -> 9.95 $/h; nightly-batch-spot 43.15 -> 44.16 $/h, same instances))
  --display-name=doc-qa-v1-g2-standard-4 \
  --deployed-model-id=776100493 \
  --machine-type=g2-standard-4 \
  --accelerator=type=nvidia-l4,count=1 \
  --service-account=doc-qa-serving@acme-llm-prod.iam.gserviceaccount.com \
  --min-replica-count=1 \
  --max-replica-count=4 \
  --autoscaling-metric-specs=gpu-duty-cycle=70 \
<<<<<<< HEAD
<<<<<<< HEAD
  --traffic-split=0=21,500285471=79
=======
<<<<<<< HEAD
  --traffic-split=0=7,165618143=93
=======
  --traffic-split=0=6,391830860=94
>>>>>>> 679e182 (Example plans and emitted golden files re-planned with the admission model and the refit)
>>>>>>> 1ee0a0e (Example plans and emitted golden files re-planned with the admission model and the refit)
=======
  --traffic-split=0=6,434501216=94
>>>>>>> b6ed248 (Golden plans and emitted files re-planned on main with the admission model and the refit (chatbot-fleet chat-8b 3+1 -> 2+2 g6e.xlarge, same cost; vertex-endpoint 10.75 -> 10.07 $/h; eu-residency-trt-llm 11.72 -> 9.95 $/h; nightly-batch-spot 43.15 -> 44.16 $/h, same instances))

