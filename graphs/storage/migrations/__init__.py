"""The app tables' one migration history, for SQLite and PostgreSQL alike (Alembic).

`versions/` holds the revisions, numbered 0001… in order; `graphs/storage/migrate.py` runs them
(no `alembic` command at run time). Revisions 0001–0005 are the five SQL migrations the SQLite
file counted with `PRAGMA user_version` before Alembic (graphs/storage/schema.py keeps that old
script): such a file is stamped at its number and upgraded from there, and every revision still
sets `user_version` on SQLite, so the number keeps meaning the same thing.

Tables are SQLAlchemy Core (`op.create_table`), so one definition makes both dialects' DDL;
what differs is spelled out in `helpers.py`: identity columns (SQLite's AUTOINCREMENT), a
`rowid` identity column on PostgreSQL where queries break ties on SQLite's implicit rowid,
and the triggers (SQLite trigger bodies, PL/pgSQL functions on PostgreSQL).

A new revision: copy the last file, bump `revision`/`down_revision` (and the `user_version`
it sets), and write `upgrade()` with `op.*` (both dialects), branching on `helpers.is_pg()` only
for what the dialects do not share. There is no env.py: nothing runs the alembic command; tests
open both databases, which runs every revision. Revisions only go forward (no downgrades).
"""
