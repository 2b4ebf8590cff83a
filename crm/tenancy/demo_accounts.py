"""Demo logins, importable without Django so the launcher can print them."""

DEMO_PASSWORD = "pipeline-2026"
DEMO_SLUG = "acme"
OPERATOR_EMAIL = "operator@lodestar.test"
DEMO_TEAM = [
    ("admin@acme.test", "Ada Admin", "admin"),
    ("manager@acme.test", "Morgan Manager", "manager"),
    ("rep1@acme.test", "Riley Rep", "rep"),
    ("rep2@acme.test", "Sam Rep", "rep"),
]
