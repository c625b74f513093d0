"""SQLModel tables, the async engine and session, and queries."""
