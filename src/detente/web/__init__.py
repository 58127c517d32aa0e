"""detente in the browser: a FastAPI app (REST API with an OpenAPI document, and a single page at ``/``) on the same
library functions the command line calls, with every run recorded in the run store (:mod:`detente.store`).

``detente serve`` starts it with uvicorn; :func:`detente.web.app.create_app` builds it (tests use FastAPI's
TestClient on it). FastAPI loads only when the app is built.
"""
