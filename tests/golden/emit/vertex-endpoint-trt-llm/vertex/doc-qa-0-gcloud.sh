#!/usr/bin/env bash
# A Vertex AI endpoint for one workload of a plan, written by `planner emit`: the same calls
# as the JSON request bodies beside this file. Set PROJECT in the environment to override it.
set -euo pipefail
WORKLOAD=doc-qa
<<<<<<< HEAD
<<<<<<< HEAD
PLAN_ID=07e198b5f199
=======
<<<<<<< HEAD
PLAN_ID=e3b0ff5cd78e
=======
PLAN_ID=e6a98fb808c5
>>>>>>> 679e182 (Example plans and emitted golden files re-planned with the admission model and the refit)
>>>>>>> 1ee0a0e (Example plans and emitted golden files re-planned with the admission model and the refit)
=======
PLAN_ID=b9af2b87bfb6
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
  --model-id=doc-qa-07e198b5f199-v0 \
  --display-name=doc-qa-07e198b5f199-v0 \
=======
<<<<<<< HEAD
  --model-id=doc-qa-e3b0ff5cd78e-v0 \
  --display-name=doc-qa-e3b0ff5cd78e-v0 \
=======
  --model-id=doc-qa-e6a98fb808c5-v0 \
  --display-name=doc-qa-e6a98fb808c5-v0 \
>>>>>>> 679e182 (Example plans and emitted golden files re-planned with the admission model and the refit)
>>>>>>> 1ee0a0e (Example plans and emitted golden files re-planned with the admission model and the refit)
=======
  --model-id=doc-qa-b9af2b87bfb6-v0 \
  --display-name=doc-qa-b9af2b87bfb6-v0 \
>>>>>>> b6ed248 (Golden plans and emitted files re-planned on main with the admission model and the refit (chatbot-fleet chat-8b 3+1 -> 2+2 g6e.xlarge, same cost; vertex-endpoint 10.75 -> 10.07 $/h; eu-residency-trt-llm 11.72 -> 9.95 $/h; nightly-batch-spot 43.15 -> 44.16 $/h, same instances))
  --container-image-uri=nvcr.io/nvidia/tensorrt-llm/release:1.0.0 \
  --container-command=trtllm-serve \
  --container-args='^|^Qwen/Qwen2.5-7B-Instruct|--port|8000|--tp_size|1|--max_batch_size|168|--max_seq_len|2250|--host|0.0.0.0|--backend|pytorch' \
  --container-ports=8000 \
  --container-health-route=/health \
  --container-predict-route=/v1/chat/completions

gcloud ai models upload --project="$PROJECT" --region="$REGION" \
<<<<<<< HEAD
<<<<<<< HEAD
  --model-id=doc-qa-07e198b5f199-v1 \
  --display-name=doc-qa-07e198b5f199-v1 \
=======
<<<<<<< HEAD
  --model-id=doc-qa-e3b0ff5cd78e-v1 \
  --display-name=doc-qa-e3b0ff5cd78e-v1 \
=======
  --model-id=doc-qa-e6a98fb808c5-v1 \
  --display-name=doc-qa-e6a98fb808c5-v1 \
>>>>>>> 679e182 (Example plans and emitted golden files re-planned with the admission model and the refit)
>>>>>>> 1ee0a0e (Example plans and emitted golden files re-planned with the admission model and the refit)
=======
  --model-id=doc-qa-b9af2b87bfb6-v1 \
  --display-name=doc-qa-b9af2b87bfb6-v1 \
>>>>>>> b6ed248 (Golden plans and emitted files re-planned on main with the admission model and the refit (chatbot-fleet chat-8b 3+1 -> 2+2 g6e.xlarge, same cost; vertex-endpoint 10.75 -> 10.07 $/h; eu-residency-trt-llm 11.72 -> 9.95 $/h; nightly-batch-spot 43.15 -> 44.16 $/h, same instances))
  --container-image-uri=nvcr.io/nvidia/tensorrt-llm/release:1.0.0 \
  --container-command=trtllm-serve \
  --container-args='^|^Qwen/Qwen2.5-7B-Instruct|--port|8000|--tp_size|1|--max_batch_size|48|--max_seq_len|2250|--host|0.0.0.0|--backend|pytorch' \
  --container-ports=8000 \
  --container-health-route=/health \
  --container-predict-route=/v1/chat/completions

gcloud ai endpoints create --project="$PROJECT" --region="$REGION" \
  --endpoint-id=doc-qa \
  --display-name=doc-qa \
<<<<<<< HEAD
<<<<<<< HEAD
  --labels=cost-center=cc-4711,managed-by=llm-placement-planner,planner-plan-id=07e198b5f199,planner-workload=doc-qa,team=search
=======
<<<<<<< HEAD
  --labels=cost-center=cc-4711,managed-by=llm-placement-planner,planner-plan-id=e3b0ff5cd78e,planner-workload=doc-qa,team=search
>>>>>>> 1ee0a0e (Example plans and emitted golden files re-planned with the admission model and the refit)

gcloud ai endpoints deploy-model doc-qa --project="$PROJECT" --region="$REGION" \
  --model=doc-qa-07e198b5f199-v0 \
  --display-name=doc-qa-v0-a2-highgpu-2g \
<<<<<<< HEAD
  --deployed-model-id=432418801 \
=======
  --deployed-model-id=653920089 \
=======
  --labels=cost-center=cc-4711,managed-by=llm-placement-planner,planner-plan-id=e6a98fb808c5,planner-workload=doc-qa,team=search

gcloud ai endpoints deploy-model doc-qa --project="$PROJECT" --region="$REGION" \
  --model=doc-qa-e6a98fb808c5-v0 \
  --display-name=doc-qa-v0-a2-highgpu-2g \
  --deployed-model-id=552515591 \
>>>>>>> 679e182 (Example plans and emitted golden files re-planned with the admission model and the refit)
>>>>>>> 1ee0a0e (Example plans and emitted golden files re-planned with the admission model and the refit)
=======
  --labels=cost-center=cc-4711,managed-by=llm-placement-planner,planner-plan-id=b9af2b87bfb6,planner-workload=doc-qa,team=search

gcloud ai endpoints deploy-model doc-qa --project="$PROJECT" --region="$REGION" \
  --model=doc-qa-b9af2b87bfb6-v0 \
  --display-name=doc-qa-v0-a2-highgpu-2g \
  --deployed-model-id=851780338 \
>>>>>>> b6ed248 (Golden plans and emitted files re-planned on main with the admission model and the refit (chatbot-fleet chat-8b 3+1 -> 2+2 g6e.xlarge, same cost; vertex-endpoint 10.75 -> 10.07 $/h; eu-residency-trt-llm 11.72 -> 9.95 $/h; nightly-batch-spot 43.15 -> 44.16 $/h, same instances))
  --machine-type=a2-highgpu-2g \
  --accelerator=type=nvidia-tesla-a100,count=2 \
  --service-account=doc-qa-serving@acme-llm-prod.iam.gserviceaccount.com \
  --min-replica-count=1 \
  --max-replica-count=3 \
  --autoscaling-metric-specs=gpu-duty-cycle=70 \
  --traffic-split=0=100

gcloud ai endpoints deploy-model doc-qa --project="$PROJECT" --region="$REGION" \
<<<<<<< HEAD
<<<<<<< HEAD
  --model=doc-qa-07e198b5f199-v1 \
  --display-name=doc-qa-v1-g2-standard-4 \
  --deployed-model-id=898154422 \
=======
<<<<<<< HEAD
  --model=doc-qa-e3b0ff5cd78e-v1 \
  --display-name=doc-qa-v1-g2-standard-4 \
  --deployed-model-id=110430689 \
=======
  --model=doc-qa-e6a98fb808c5-v1 \
  --display-name=doc-qa-v1-g2-standard-4 \
  --deployed-model-id=388511869 \
>>>>>>> 679e182 (Example plans and emitted golden files re-planned with the admission model and the refit)
>>>>>>> 1ee0a0e (Example plans and emitted golden files re-planned with the admission model and the refit)
=======
  --model=doc-qa-b9af2b87bfb6-v1 \
  --display-name=doc-qa-v1-g2-standard-4 \
  --deployed-model-id=970638342 \
>>>>>>> b6ed248 (Golden plans and emitted files re-planned on main with the admission model and the refit (chatbot-fleet chat-8b 3+1 -> 2+2 g6e.xlarge, same cost; vertex-endpoint 10.75 -> 10.07 $/h; eu-residency-trt-llm 11.72 -> 9.95 $/h; nightly-batch-spot 43.15 -> 44.16 $/h, same instances))
  --machine-type=g2-standard-4 \
  --accelerator=type=nvidia-l4,count=1 \
  --service-account=doc-qa-serving@acme-llm-prod.iam.gserviceaccount.com \
  --min-replica-count=1 \
  --max-replica-count=3 \
  --autoscaling-metric-specs=gpu-duty-cycle=70 \
<<<<<<< HEAD
<<<<<<< HEAD
  --traffic-split=0=4,432418801=96
=======
<<<<<<< HEAD
  --traffic-split=0=4,653920089=96
=======
  --traffic-split=0=5,552515591=95
>>>>>>> 679e182 (Example plans and emitted golden files re-planned with the admission model and the refit)
>>>>>>> 1ee0a0e (Example plans and emitted golden files re-planned with the admission model and the refit)
=======
  --traffic-split=0=5,851780338=95
>>>>>>> b6ed248 (Golden plans and emitted files re-planned on main with the admission model and the refit (chatbot-fleet chat-8b 3+1 -> 2+2 g6e.xlarge, same cost; vertex-endpoint 10.75 -> 10.07 $/h; eu-residency-trt-llm 11.72 -> 9.95 $/h; nightly-batch-spot 43.15 -> 44.16 $/h, same instances))

