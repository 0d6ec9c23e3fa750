"""Backups of a fund: a consistent snapshot of the database and the file store with a
manifest (``snapshot.Snapshots``), checked and restored into an empty target."""
