"""The HTTP service (FastAPI) and the dashboard pages that talk only to it."""
