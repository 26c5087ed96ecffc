"""Ingestion: CSV files, LMS calendar feeds, grade history."""
