"""The HTTP API (FastAPI on uvicorn): see api/app.py for the factory and api/deps.py for the
dependencies every route is built from."""
