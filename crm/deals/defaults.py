"""The pipeline every new workspace starts with (created by a data migration, so the template
schema carries it to every clone)."""

DEFAULT_PIPELINE_NAME = "Sales"
DEFAULT_STAGES = [
    # name, probability %, won, lost
    ("New", 10, False, False),
    ("Qualified", 25, False, False),
    ("Proposal", 50, False, False),
    ("Negotiation", 75, False, False),
    ("Won", 100, True, False),
    ("Lost", 0, False, True),
]
