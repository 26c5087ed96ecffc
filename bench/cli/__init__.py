"""CLI start-up benchmark (`python -m bench.cli`): how long a user waits for `studyplanner`."""
