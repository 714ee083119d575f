"""moto's S3 server on 127.0.0.1 for the object-store tests: prints its port, serves until
stdin closes (the test process ended)."""
import logging
import socket
import sys

from moto.server import ThreadedMotoServer

# Quiet: werkzeug logs every request to stderr.
logging.getLogger("werkzeug").setLevel(logging.ERROR)

with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
server.start()
print(port, flush=True)
sys.stdin.read()
server.stop()
