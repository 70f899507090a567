"""Local stand-ins for the payment gateways: they sign, encrypt and verify exactly as the
gateways' public documentation says, with keys generated locally, so the demo (and the tests)
pay end to end with no account anywhere. Never used unless a tenant's method says
``mode: standin``."""
