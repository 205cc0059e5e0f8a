"""Users, API tokens and the credit ledger."""
