"""Who is calling: password hashes, access tokens, refresh tokens and API keys. Pure functions
over settings and bytes; the rows they are checked against live in sitegen/db/accounts.py."""
