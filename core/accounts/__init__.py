"""Accounts: customers and providers by mobile number, staff by email, sessions, API tokens."""
