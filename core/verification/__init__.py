"""Identity and certification checks, and their re-verification schedule."""
