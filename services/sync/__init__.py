"""One student's sync, one file per step: gather → decide → write → push → record (report).
`run.sync_user` strings them together; ARCHITECTURE.md draws the flow."""
