"""moto_server for the benchmarks, counting the requests it serves.

GET /__requests answers the number of AWS requests served since start (moto's own /moto-api
calls and these are not counted); GET /__operations answers them by operation, as JSON
({"GetBucketTagging": 250, ...}; S3 operations named from method, path and query, others from
their Action); GET /__operation-ms answers the milliseconds spent serving each operation (wall
time inside moto, waits for Python's lock included). POST /__seed creates buckets straight in moto's backend, so
setting up 10,000 buckets does not take 20,000 requests: a JSON body
{"buckets": [{"name": ..., "tags": {...}, "objects": N}]}. Usage: python3 bench/moto-server.py PORT
"""
import io
import json
import logging
import os
import sys
import threading
import time

from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

count = 0
operations = {}
operation_ms = {}
lock = threading.Lock()

# S3 operations by (method, what the path names, the query key that selects the sub-resource).
S3_OPERATIONS = {
    ("GET", "root", ""): "ListBuckets",
    ("GET", "bucket", ""): "ListObjects",
    ("GET", "bucket", "list-type"): "ListObjectsV2",
    ("GET", "bucket", "versions"): "ListObjectVersions",
    ("GET", "bucket", "tagging"): "GetBucketTagging",
    ("GET", "bucket", "location"): "GetBucketLocation",
    ("GET", "bucket", "versioning"): "GetBucketVersioning",
    ("GET", "bucket", "object-lock"): "GetObjectLockConfiguration",
    ("GET", "bucket", "uploads"): "ListMultipartUploads",
    ("HEAD", "bucket", ""): "HeadBucket",
    ("DELETE", "bucket", ""): "DeleteBucket",
    ("POST", "bucket", "delete"): "DeleteObjects",
    ("PUT", "bucket", ""): "CreateBucket",
    ("PUT", "bucket", "tagging"): "PutBucketTagging",
    ("HEAD", "object", ""): "HeadObject",
    ("GET", "object", ""): "GetObject",
    ("PUT", "object", ""): "PutObject",
    ("DELETE", "object", ""): "DeleteObject",
    ("DELETE", "object", "uploadId"): "AbortMultipartUpload",
}


def operation_of(environ):
    """The operation a request asks for, for the per-operation counts."""
    method = environ.get("REQUEST_METHOD", "")
    path = environ.get("PATH_INFO", "")
    query = environ.get("QUERY_STRING", "")
    keys = [part.split("=", 1)[0] for part in query.split("&") if part]
    target = environ.get("HTTP_X_AMZ_TARGET")
    if method == "POST" and path == "/" and target:
        # JSON-protocol services (the Resource Groups Tagging API): the operation is in the header.
        return target.rsplit(".", 1)[-1]
    if method == "POST" and path == "/":
        # Query-protocol services (STS, EC2): the Action is in the form body, which moto still has
        # to read, so it is peeked at without consuming it.
        size = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(size)
        environ["wsgi.input"] = io.BytesIO(body)
        for part in body.decode("utf-8", "replace").split("&"):
            if part.startswith("Action="):
                return part[len("Action="):]
        return "POST /"
    segments = [p for p in path.split("/") if p]
    what = "root" if not segments else "bucket" if len(segments) == 1 else "object"
    for key in keys or [""]:
        name = S3_OPERATIONS.get((method, what, key))
        if name:
            return name
    name = S3_OPERATIONS.get((method, what, ""))
    return name or f"{method} {what}?{'&'.join(sorted(keys))}"
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
    if path == "/__operations":
        with lock:
            text = json.dumps(operations)
        start_response("200 OK", [("Content-Type", "application/json")])
        return [text.encode()]
    if path == "/__operation-ms":
        with lock:
            text = json.dumps({k: round(v, 1) for k, v in operation_ms.items()})
        start_response("200 OK", [("Content-Type", "application/json")])
        return [text.encode()]
    if path == "/__seed":
        size = int(environ.get("CONTENT_LENGTH") or 0)
        seed(json.loads(environ["wsgi.input"].read(size)))
        start_response("204 No Content", [])
        return [b""]
    if not path.startswith("/moto-api"):
        name = operation_of(environ)
        with lock:
            count += 1
            operations[name] = operations.get(name, 0) + 1
        started = time.perf_counter()
        try:
            # The answer is built here; moto's responses are small and not streamed.
            return list(app(environ, start_response))
        finally:
            with lock:
                operation_ms[name] = operation_ms.get(name, 0) + (time.perf_counter() - started) * 1000
    return app(environ, start_response)


if __name__ == "__main__":
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    run_simple("127.0.0.1", int(sys.argv[1]), counting, threaded=True)
