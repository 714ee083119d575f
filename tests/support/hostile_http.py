"""An HTTP server that misbehaves on purpose, for the object-store tests: serves the files
of the directory given (GET with Range, HEAD) and, by the first path segment:

  /ok/<file>        honest
  /short/<file>     a range answered with fewer bytes than asked (headers say so)
  /truncate/<file>  Content-Length as asked, then the connection closes half-way
  /etag/<file>      a different ETag (and content) on every request
  /slow/<file>      waits 5 s before answering
  /weak/<file>      honest, with a weak ETag (W/"v1"); If-Match (a strong comparison) fails
  /long/<file>      a range answered with more bytes than asked (headers say the range)
  /fail500/<file>   every other GET answered 500 (a transient error, to be retried)
  /fail503/<file>   every other GET answered 503 Slow Down
  /reset/<file>     every other GET: headers, half the body, then the connection is reset

Prints its port, serves until stdin closes."""
import http.server
import os
import sys
import threading
import time

ROOT = sys.argv[1]
counter = [0]
attempts = {}  # GETs so far per transient-fault mode
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def parts(self):
        _, mode, name = self.path.split("/", 2)
        with open(os.path.join(ROOT, name), "rb") as f:
            data = f.read()
        return mode, data

    def do_HEAD(self):
        self.answer(head=True)

    def do_GET(self):
        self.answer(head=False)

    def answer(self, head):
        try:
            mode, data = self.parts()
        except (OSError, ValueError):
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        counter[0] += 1
        fault = False
        if mode in ("fail500", "fail503", "reset") and not head:
            with lock:
                attempts[mode] = attempts.get(mode, 0) + 1
                fault = attempts[mode] % 2 == 1
        if fault and mode != "reset":
            self.send_response(500 if mode == "fail500" else 503)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        etag = '"v1"' if mode != "etag" else '"v%d"' % counter[0]
        if mode == "weak":
            etag = 'W/"v1"'
            if self.headers.get("If-Match"):
                self.send_response(412)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
        if mode == "etag" and counter[0] % 2 == 0:
            data = data[:-1] + bytes([data[-1] ^ 1])
        if mode == "slow":
            time.sleep(5)
        size = len(data)
        start, end = 0, size
        rng = self.headers.get("Range")
        status = 200
        if rng and rng.startswith("bytes="):
            first, _, last = rng[6:].partition("-")
            if first == "":
                start, end = max(0, size - int(last)), size
            else:
                start = int(first)
                end = min(size, int(last) + 1) if last else size
            status = 206
        body = data[start:end]
        declared = len(body)
        if mode == "short":
            body = body[: len(body) // 2]
            declared = len(body)
            end = start + declared
        if mode == "long":
            body = body + b"\0" * 100
            declared = len(body)
        self.send_response(status)
        self.send_header("ETag", etag)
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Last-Modified", "Sat, 28 Nov 2026 00:00:00 GMT")
        if status == 206:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, max(start, end - 1), size))
        self.send_header("Content-Length", str(declared))
        self.end_headers()
        if head:
            return
        if mode == "truncate" or fault:
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self.wfile.write(body)


class Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # clients that hang up on a slow or wrong answer are the point here


server = Server(("127.0.0.1", 0), Handler)
server.daemon_threads = True
threading.Thread(target=server.serve_forever, daemon=True).start()
print(server.server_address[1], flush=True)
sys.stdin.read()
