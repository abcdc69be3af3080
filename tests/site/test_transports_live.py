"""The fenced daphne direct-write path is active under daphne, and says so; the
switch turns it off. If an upgrade silently broke its detection, the first test
fails (the log would name the outbox)."""

import pytest

from tests.support import DaphneServer, recv_json


def first_hub_socket_log(server: DaphneServer) -> str:
    from websockets.sync.client import connect

    with connect(f"{server.ws_url}/ws/chat/", origin=server.url) as ws:
        ws.send('{"type": "nonsense"}')
        assert recv_json(ws)["type"] == "error"
    return server.log()


@pytest.mark.timeout(120)
def test_daphne_serves_hub_sockets_through_the_direct_write_path(daphne_factory):
    server = daphne_factory()
    log = first_hub_socket_log(server)
    assert "realtime transport: daphne-direct under daphne" in log
    assert "realtime transport for WebSockets: daphne-direct" in log
    assert "inactive" not in log


@pytest.mark.timeout(120)
def test_the_switch_turns_the_direct_write_path_off(daphne_factory):
    server = daphne_factory(PARLOUR_WS_DIRECT_WRITE="0")
    log = first_hub_socket_log(server)
    assert "PARLOUR_WS_DIRECT_WRITE=0" in log
    assert "realtime transport for WebSockets: outbox" in log
    assert "daphne-direct (frames" not in log
