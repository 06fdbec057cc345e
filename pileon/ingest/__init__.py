"""Ingest: one adapter module per file format, registered through the `register_sources` hook."""
