"""Analyze stage: normalization, language identification, lexicon matching and context rules.

The modules here are pure functions over texts; the store stays at the edge (see DESIGN.md).
"""
