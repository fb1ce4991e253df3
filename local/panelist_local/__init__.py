"""Panelist on one machine: template.yaml run in-process against moto, with no Docker and no AWS account."""
