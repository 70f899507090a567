"""Payments: PaymentProvider base, ledger, settlement, statements."""
