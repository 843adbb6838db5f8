"""moto_server for the benchmarks, counting the requests it serves.

GET /__requests answers the number of AWS requests served since start (moto's own /moto-api
calls and these are not counted). POST /__seed creates buckets straight in moto's backend, so
setting up 10,000 buckets does not take 20,000 requests: a JSON body
{"buckets": [{"name": ..., "tags": {...}, "objects": N}]}. Usage: python3 bench/moto-server.py PORT
"""
import json
import logging
import os
import sys
import threading

from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

count = 0
lock = threading.Lock()
app = DomainDispatcherApplication(create_backend_app)


def seed(body):
    from moto.s3.models import s3_backends

    backend = s3_backends[os.environ.get("MOTO_ACCOUNT_ID", "123456789012")]["aws"]
    for bucket in body["buckets"]:
        backend.create_bucket(bucket["name"], "us-east-1")
        if bucket.get("tags"):
            backend.put_bucket_tagging(bucket["name"], bucket["tags"])
        for i in range(bucket.get("objects", 0)):
            backend.put_object(bucket["name"], f"o{i}.txt", b"x")


def counting(environ, start_response):
    global count
    path = environ.get("PATH_INFO", "")
    if path == "/__requests":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [str(count).encode()]
    if path == "/__seed":
        size = int(environ.get("CONTENT_LENGTH") or 0)
        seed(json.loads(environ["wsgi.input"].read(size)))
        start_response("204 No Content", [])
        return [b""]
    if not path.startswith("/moto-api"):
        with lock:
            count += 1
    return app(environ, start_response)


if __name__ == "__main__":
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    run_simple("127.0.0.1", int(sys.argv[1]), counting, threaded=True)
