"""One student's sync, step by step: gather, decide, write, push, record (ARCHITECTURE.md)."""
