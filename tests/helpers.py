"""Small helpers the test modules share."""


def free_port() -> str:
    """A TCP port free on 127.0.0.1 now (for a torch.distributed rendezvous)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return str(s.getsockname()[1])
