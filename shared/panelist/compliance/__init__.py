"""Responsible hiring: the AI notice and consent, human review, explanations, the bias audit, retention and the
audit log of who did what to a candidate's data.

* `settings`: an organization's hiring settings (notice text, human review gate, retention policy).
* `audit`: the audit log (`record`, `list_for_candidate`), kept `AUDIT_RETENTION_DAYS`.
* `store`: the only writer of this domain's items.
"""
