"""Panelist: the shared layer of the Panelist Lambda functions (models, storage, signing, auth, API)."""
