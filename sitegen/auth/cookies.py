"""The names of the browser's sign-in cookies, shared by the portal that sets them and the
API that reads the access token from one (for reads only: sitegen/api/principal.py)."""

ACCESS_COOKIE = "sitegen_access"
REFRESH_COOKIE = "sitegen_refresh"
