"""The app-state store: users, sign-in sessions, saved cohorts, the action and export logs.

Everything the dashboard writes lives here, in SQLite next to the warehouse, so a rebuild of
the warehouse never touches it. It sits above ``analytics`` (it canonicalises cohort queries)
and below ``dashboard``."""
