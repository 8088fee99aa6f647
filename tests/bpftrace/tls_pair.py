"""A TLS client and server in one process, the trigger of sslsnoop and ssllatency: Python's
ssl module over the system's libssl. argv: the certificate and the key."""

import socket
import ssl
import sys
import threading

cert, key = sys.argv[1], sys.argv[2]
server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
server_ctx.load_cert_chain(cert, key)
client_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
client_ctx.check_hostname = False
client_ctx.verify_mode = ssl.CERT_NONE
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(1)


def serve() -> None:
    conn, _ = listener.accept()
    with server_ctx.wrap_socket(conn, server_side=True) as s:
        s.sendall(s.recv(100))


thread = threading.Thread(target=serve)
thread.start()
with client_ctx.wrap_socket(socket.create_connection(listener.getsockname())) as s:
    s.sendall(b"ping")
    s.recv(100)
thread.join()
