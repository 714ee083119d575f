"""moto's S3 server on 127.0.0.1 for the object-store tests: creates the buckets named on
the command line, prints its port, serves until stdin closes (the test process ended)."""
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
if sys.argv[1:]:
    import boto3

    s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    for bucket in sys.argv[1:]:
        s3.create_bucket(Bucket=bucket)
print(port, flush=True)
sys.stdin.read()
server.stop()
