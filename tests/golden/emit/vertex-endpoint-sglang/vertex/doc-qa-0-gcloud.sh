#!/usr/bin/env bash
# A Vertex AI endpoint for one workload of a plan, written by `planner emit`: the same calls
# as the JSON request bodies beside this file. Set PROJECT in the environment to override it.
set -euo pipefail
WORKLOAD=doc-qa
<<<<<<< HEAD
<<<<<<< HEAD
PLAN_ID=e87d7dff4afc
=======
<<<<<<< HEAD
PLAN_ID=debb99adeb34
=======
PLAN_ID=abee6c80a64f
>>>>>>> 679e182 (Example plans and emitted golden files re-planned with the admission model and the refit)
>>>>>>> 1ee0a0e (Example plans and emitted golden files re-planned with the admission model and the refit)
=======
PLAN_ID=21f407ba865a
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
  --model-id=doc-qa-e87d7dff4afc-v0 \
  --display-name=doc-qa-e87d7dff4afc-v0 \
=======
<<<<<<< HEAD
  --model-id=doc-qa-debb99adeb34-v0 \
  --display-name=doc-qa-debb99adeb34-v0 \
=======
  --model-id=doc-qa-abee6c80a64f-v0 \
  --display-name=doc-qa-abee6c80a64f-v0 \
>>>>>>> 679e182 (Example plans and emitted golden files re-planned with the admission model and the refit)
>>>>>>> 1ee0a0e (Example plans and emitted golden files re-planned with the admission model and the refit)
=======
  --model-id=doc-qa-21f407ba865a-v0 \
  --display-name=doc-qa-21f407ba865a-v0 \
>>>>>>> b6ed248 (Golden plans and emitted files re-planned on main with the admission model and the refit (chatbot-fleet chat-8b 3+1 -> 2+2 g6e.xlarge, same cost; vertex-endpoint 10.75 -> 10.07 $/h; eu-residency-trt-llm 11.72 -> 9.95 $/h; nightly-batch-spot 43.15 -> 44.16 $/h, same instances))
  --container-image-uri=lmsysorg/sglang:v0.4.6.post1-cu124 \
  --container-command=python3,-m,sglang.launch_server \
  --container-args='^|^--model-path|Qwen/Qwen2.5-7B-Instruct|--served-model-name|doc-qa|--port|8000|--tp-size|1|--max-running-requests|178|--context-length|2250|--dtype|bfloat16|--host|0.0.0.0|--enable-metrics' \
  --container-ports=8000 \
  --container-health-route=/health \
  --container-predict-route=/v1/chat/completions

gcloud ai models upload --project="$PROJECT" --region="$REGION" \
<<<<<<< HEAD
<<<<<<< HEAD
  --model-id=doc-qa-e87d7dff4afc-v1 \
  --display-name=doc-qa-e87d7dff4afc-v1 \
=======
<<<<<<< HEAD
  --model-id=doc-qa-debb99adeb34-v1 \
  --display-name=doc-qa-debb99adeb34-v1 \
=======
  --model-id=doc-qa-abee6c80a64f-v1 \
  --display-name=doc-qa-abee6c80a64f-v1 \
=======
  --model-id=doc-qa-21f407ba865a-v1 \
  --display-name=doc-qa-21f407ba865a-v1 \
>>>>>>> b6ed248 (Golden plans and emitted files re-planned on main with the admission model and the refit (chatbot-fleet chat-8b 3+1 -> 2+2 g6e.xlarge, same cost; vertex-endpoint 10.75 -> 10.07 $/h; eu-residency-trt-llm 11.72 -> 9.95 $/h; nightly-batch-spot 43.15 -> 44.16 $/h, same instances))
  --container-image-uri=lmsysorg/sglang:v0.4.6.post1-cu124 \
  --container-command=python3,-m,sglang.launch_server \
  --container-args='^|^--model-path|Qwen/Qwen2.5-7B-Instruct|--served-model-name|doc-qa|--port|8000|--tp-size|2|--max-running-requests|228|--context-length|2250|--dtype|bfloat16|--host|0.0.0.0|--enable-metrics' \
  --container-ports=8000 \
  --container-health-route=/health \
  --container-predict-route=/v1/chat/completions

gcloud ai models upload --project="$PROJECT" --region="$REGION" \
<<<<<<< HEAD
  --model-id=doc-qa-abee6c80a64f-v2 \
  --display-name=doc-qa-abee6c80a64f-v2 \
>>>>>>> 679e182 (Example plans and emitted golden files re-planned with the admission model and the refit)
>>>>>>> 1ee0a0e (Example plans and emitted golden files re-planned with the admission model and the refit)
=======
  --model-id=doc-qa-21f407ba865a-v2 \
  --display-name=doc-qa-21f407ba865a-v2 \
>>>>>>> b6ed248 (Golden plans and emitted files re-planned on main with the admission model and the refit (chatbot-fleet chat-8b 3+1 -> 2+2 g6e.xlarge, same cost; vertex-endpoint 10.75 -> 10.07 $/h; eu-residency-trt-llm 11.72 -> 9.95 $/h; nightly-batch-spot 43.15 -> 44.16 $/h, same instances))
  --container-image-uri=lmsysorg/sglang:v0.4.6.post1-cu124 \
  --container-command=python3,-m,sglang.launch_server \
  --container-args='^|^--model-path|Qwen/Qwen2.5-7B-Instruct|--served-model-name|doc-qa|--port|8000|--tp-size|1|--max-running-requests|51|--context-length|2250|--dtype|bfloat16|--host|0.0.0.0|--enable-metrics' \
  --container-ports=8000 \
  --container-health-route=/health \
  --container-predict-route=/v1/chat/completions

gcloud ai endpoints create --project="$PROJECT" --region="$REGION" \
  --endpoint-id=doc-qa \
  --display-name=doc-qa \
<<<<<<< HEAD
<<<<<<< HEAD
  --labels=cost-center=cc-4711,managed-by=llm-placement-planner,planner-plan-id=e87d7dff4afc,planner-workload=doc-qa,team=search
=======
<<<<<<< HEAD
  --labels=cost-center=cc-4711,managed-by=llm-placement-planner,planner-plan-id=debb99adeb34,planner-workload=doc-qa,team=search
>>>>>>> 1ee0a0e (Example plans and emitted golden files re-planned with the admission model and the refit)

gcloud ai endpoints deploy-model doc-qa --project="$PROJECT" --region="$REGION" \
  --model=doc-qa-e87d7dff4afc-v0 \
  --display-name=doc-qa-v0-a2-highgpu-1g \
<<<<<<< HEAD
  --deployed-model-id=524727646 \
=======
  --deployed-model-id=725575931 \
=======
  --labels=cost-center=cc-4711,managed-by=llm-placement-planner,planner-plan-id=abee6c80a64f,planner-workload=doc-qa,team=search

gcloud ai endpoints deploy-model doc-qa --project="$PROJECT" --region="$REGION" \
  --model=doc-qa-abee6c80a64f-v0 \
  --display-name=doc-qa-v0-a2-highgpu-1g \
  --deployed-model-id=874332844 \
>>>>>>> 679e182 (Example plans and emitted golden files re-planned with the admission model and the refit)
>>>>>>> 1ee0a0e (Example plans and emitted golden files re-planned with the admission model and the refit)
=======
  --labels=cost-center=cc-4711,managed-by=llm-placement-planner,planner-plan-id=21f407ba865a,planner-workload=doc-qa,team=search

gcloud ai endpoints deploy-model doc-qa --project="$PROJECT" --region="$REGION" \
  --model=doc-qa-21f407ba865a-v0 \
  --display-name=doc-qa-v0-a2-highgpu-1g \
  --deployed-model-id=120149377 \
>>>>>>> b6ed248 (Golden plans and emitted files re-planned on main with the admission model and the refit (chatbot-fleet chat-8b 3+1 -> 2+2 g6e.xlarge, same cost; vertex-endpoint 10.75 -> 10.07 $/h; eu-residency-trt-llm 11.72 -> 9.95 $/h; nightly-batch-spot 43.15 -> 44.16 $/h, same instances))
  --machine-type=a2-highgpu-1g \
  --accelerator=type=nvidia-tesla-a100,count=1 \
  --service-account=doc-qa-serving@acme-llm-prod.iam.gserviceaccount.com \
  --min-replica-count=1 \
  --max-replica-count=2 \
  --autoscaling-metric-specs=gpu-duty-cycle=70 \
  --traffic-split=0=100

gcloud ai endpoints deploy-model doc-qa --project="$PROJECT" --region="$REGION" \
<<<<<<< HEAD
<<<<<<< HEAD
  --model=doc-qa-e87d7dff4afc-v1 \
  --display-name=doc-qa-v1-g2-standard-4 \
  --deployed-model-id=606167517 \
=======
<<<<<<< HEAD
  --model=doc-qa-debb99adeb34-v1 \
  --display-name=doc-qa-v1-g2-standard-4 \
  --deployed-model-id=898795879 \
=======
  --model=doc-qa-abee6c80a64f-v1 \
=======
  --model=doc-qa-21f407ba865a-v1 \
>>>>>>> b6ed248 (Golden plans and emitted files re-planned on main with the admission model and the refit (chatbot-fleet chat-8b 3+1 -> 2+2 g6e.xlarge, same cost; vertex-endpoint 10.75 -> 10.07 $/h; eu-residency-trt-llm 11.72 -> 9.95 $/h; nightly-batch-spot 43.15 -> 44.16 $/h, same instances))
  --display-name=doc-qa-v1-g2-standard-24 \
  --deployed-model-id=338803505 \
  --machine-type=g2-standard-24 \
  --accelerator=type=nvidia-l4,count=2 \
  --service-account=doc-qa-serving@acme-llm-prod.iam.gserviceaccount.com \
  --min-replica-count=1 \
  --max-replica-count=2 \
  --autoscaling-metric-specs=gpu-duty-cycle=70 \
  --traffic-split=0=33,120149377=67

gcloud ai endpoints deploy-model doc-qa --project="$PROJECT" --region="$REGION" \
  --model=doc-qa-21f407ba865a-v2 \
  --display-name=doc-qa-v2-g2-standard-4 \
<<<<<<< HEAD
  --deployed-model-id=626577746 \
>>>>>>> 679e182 (Example plans and emitted golden files re-planned with the admission model and the refit)
>>>>>>> 1ee0a0e (Example plans and emitted golden files re-planned with the admission model and the refit)
=======
  --deployed-model-id=659116030 \
>>>>>>> b6ed248 (Golden plans and emitted files re-planned on main with the admission model and the refit (chatbot-fleet chat-8b 3+1 -> 2+2 g6e.xlarge, same cost; vertex-endpoint 10.75 -> 10.07 $/h; eu-residency-trt-llm 11.72 -> 9.95 $/h; nightly-batch-spot 43.15 -> 44.16 $/h, same instances))
  --machine-type=g2-standard-4 \
  --accelerator=type=nvidia-l4,count=1 \
  --service-account=doc-qa-serving@acme-llm-prod.iam.gserviceaccount.com \
  --min-replica-count=1 \
  --max-replica-count=4 \
  --autoscaling-metric-specs=gpu-duty-cycle=70 \
<<<<<<< HEAD
<<<<<<< HEAD
  --traffic-split=0=48,524727646=52
=======
<<<<<<< HEAD
  --traffic-split=0=47,725575931=53
=======
  --traffic-split=0=21,874332844=53,874458718=26
>>>>>>> 679e182 (Example plans and emitted golden files re-planned with the admission model and the refit)
>>>>>>> 1ee0a0e (Example plans and emitted golden files re-planned with the admission model and the refit)
=======
  --traffic-split=0=21,120149377=53,338803505=26
>>>>>>> b6ed248 (Golden plans and emitted files re-planned on main with the admission model and the refit (chatbot-fleet chat-8b 3+1 -> 2+2 g6e.xlarge, same cost; vertex-endpoint 10.75 -> 10.07 $/h; eu-residency-trt-llm 11.72 -> 9.95 $/h; nightly-batch-spot 43.15 -> 44.16 $/h, same instances))

