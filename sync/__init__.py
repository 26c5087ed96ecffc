"""PURE: reconcile what we pushed, what the remotes hold and what the plan wants.

Nothing here imports the database, the integrations, Celery or reads the clock.
"""
