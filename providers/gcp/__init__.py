"""Google Cloud: catalog refresh, quotas and the Vertex AI launcher (SDKs imported lazily)."""
