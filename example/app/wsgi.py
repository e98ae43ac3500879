"""The example web app: a plain WSGI application served by gunicorn under colony.

GET /         -> which gunicorn worker answered
GET /health   -> 200 "ok" (used by the image's HEALTHCHECK)
GET /enqueue  -> sends a celery task through redis and answers its id
"""
import os


def app(environ, start_response):
    path = environ.get("PATH_INFO", "/")
    if path == "/health":
        body = b"ok\n"
    elif path == "/enqueue":
        from tasks import add  # imported lazily: the web process starts even when redis is down

        result = add.delay(2, 3)
        body = f"queued {result.id}\n".encode()
    else:
        body = f"hello from gunicorn worker {os.getpid()} (master {os.getppid()})\n".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
