"""The Powertools Logger, Tracer and Metrics every function shares (one instance per process)."""

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics()
