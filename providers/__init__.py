"""Cloud-specific code, one sub-package per cloud: catalog refresh, emit helpers and launchers.

Only this package imports cloud SDKs (boto3, google-cloud-aiplatform), and only lazily.
"""
