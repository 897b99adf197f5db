"""Importing real data: column maps, validation with quarantine, idempotent crash-safe loads.

See docs/ingest.md. Modules: ``mapping`` (TOML column maps), ``kinds`` (what each record kind
needs), ``readers`` (files into a staging table), ``validate`` (vectorised rules),
``spatial`` (point-in-polygon), ``load`` (batches, transactions, upsert), ``crs``
(EPSG, GCJ-02, BD-09), ``boundaries`` (region and grid polygons), ``intake`` (HTTP).
"""
