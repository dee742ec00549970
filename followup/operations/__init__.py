"""Operations: the Prometheus /metrics endpoint and what Celery processes check and count for it."""
