"""Triage: rules that sort replies into folders, and the user's decisions that always win."""
