"""Credits and billing.

* `pricing`: prices, plan allowances, tenths of a credit, thresholds.
* `planner`: pure rules: a change planned on a balance (pools, conditions, entries), the ledger's
  order (`stamp`: running totals, low-balance crossings). Unit-tested without AWS.
* `store`: the only writer (and reader by key) of the billing items; why a change is two writes.
* `credits`: the public operations (charge, refund, top-up, grant, reset, balance, usage), one path.
* `alerts`: low-balance mail and `credits.low` webhook, sent after the write that decided them.
* `views`, `summary`: what the API shows (the admin summary as a camelCase pydantic model).
"""
