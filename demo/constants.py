"""What the demo modules share."""

BATCH_SIZE = 2000
# Every demo organisation's ``org_id`` starts with it: a run replaces only what it wrote.
DEMO_ORG_PREFIX = "DEMO-"
