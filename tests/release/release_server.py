#!/usr/bin/env python3
"""A release (and model) server on 127.0.0.1 for the install-fast and
`hone pull` tests.

usage: release_server.py ROOT PORT_FILE [LIFETIME_SECONDS]

Serves ROOT/<case>/<file> with HTTP Range support (so downloads can
resume). The case directory's name picks a misbehaviour for the payloads
(.tar.gz and .gguf files):
  stall*  headers and 100 bytes, then nothing (until the client gives up)
  short*  only the first half of the file, with a Content-Length to match
  cut*    the first request without a Range gets the full Content-Length but
          only half the body, then the connection closes; a resumed
          request (Range) gets the rest
  hf*     the file's sha256 as X-Linked-ETag (Hugging Face's LFS header);
          hfbad* a wrong one
Writes the port it listens on to PORT_FILE; exits after LIFETIME seconds
(default 600) so a failed test never leaves it behind.
"""
import hashlib
import http.server
import os
import re
import sys
import threading
import time

ROOT, PORT_FILE = sys.argv[1], sys.argv[2]
LIFETIME = float(sys.argv[3]) if len(sys.argv) > 3 else 600
cut_done = set()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("release_server: " + fmt % args + "\n")

    def do_GET(self):
        path = os.path.normpath(self.path.split("?")[0]).lstrip("/")
        full = os.path.join(ROOT, path)
        if ".." in path.split("/") or not os.path.isfile(full):
            self.send_error(404)
            return
        case = path.split("/")[0]
        data = open(full, "rb").read()
        tarball = full.endswith((".tar.gz", ".gguf"))
        if tarball and case.startswith("stall"):
            m = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range", ""))
            start = int(m.group(1)) if m and int(m.group(1)) < len(data) else 0
            self.send_response(206 if start else 200)
            if start:
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            self.send_header("Content-Length", str(len(data) - start))
            self.end_headers()
            self.wfile.write(data[start:start + 100])
            self.wfile.flush()
            time.sleep(LIFETIME)
            return
        if tarball and case.startswith("short"):
            data = data[: len(data) // 2]
        start = 0
        m = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range", ""))
        if m and int(m.group(1)) < len(data):
            start = int(m.group(1))
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(data) - start))
        self.send_header("Accept-Ranges", "bytes")
        if tarball and case.startswith("hf"):
            sha = hashlib.sha256(open(full, "rb").read()).hexdigest()
            if case.startswith("hfbad"):
                sha = "0" * 64
            self.send_header("X-Linked-ETag", f'"{sha}"')
        if tarball and case.startswith("cut") and not m and full not in cut_done:
            cut_done.add(full)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.end_headers()
        self.wfile.write(data[start:])


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
with open(PORT_FILE + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.replace(PORT_FILE + ".tmp", PORT_FILE)
threading.Timer(LIFETIME, server.shutdown).start()
server.serve_forever()
