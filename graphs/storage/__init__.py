"""The app's own tables, beside the checkpoints, one module per table group.

schema         the numbered migrations
base           connections, `now_iso`, the shared lock and write transaction (`Tables`)
campaigns      one row per thread
inbox          index of pending interrupts (reviews and holds), reminders
decisions      one row per interrupt id (unique): the single-resumer rule
outbox         one row per idempotency key: exactly-once execution
audit          append-only log of everything that happened; outlives checkpoints
notifications  the feed of actions that ran without review
autonomy       track record, autonomy levels, proposals (routings seen)
leases         one row per thread being resumed: one resume per thread at a time

`graphs.store.Store` puts them together; import from there.
"""
