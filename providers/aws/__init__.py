"""Amazon Web Services: catalog refresh, quotas and the SageMaker launcher (SDKs loaded lazily)."""
