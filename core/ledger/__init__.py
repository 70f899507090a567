"""The ledger: double-entry journals per tenant, settlement, statements, reconciliation."""
