"""Two workers refreshing Smint.io's rotating token at once take turns on the locked row: the
second trades the token the first just received, never the spent one."""

import threading
from collections.abc import Callable

import pytest
from django.db import connection

from assets.models import SmintioConnection
from assets.smintio.services import DatabaseTokens

pytestmark = pytest.mark.postgres_only


def test_the_second_refresh_waits_and_trades_the_rotated_token(transactional_db: None) -> None:
    SmintioConnection.objects.create(pk=1, refresh_token="r0")
    traded: list[str] = []
    first_trading, let_first_finish = threading.Event(), threading.Event()

    def first_trade(current: str) -> str:
        traded.append(current)
        first_trading.set()
        let_first_finish.wait(10)
        return "r1"

    def second_trade(current: str) -> str:
        traded.append(current)
        return "r2"

    def worker(trade: Callable[[str], str]) -> None:
        try:
            DatabaseTokens().exchange(trade)
        finally:
            connection.close()

    first = threading.Thread(target=worker, args=(first_trade,))
    first.start()
    assert first_trading.wait(10)
    second = threading.Thread(target=worker, args=(second_trade,))
    second.start()
    second.join(0.5)
    assert second.is_alive() and traded == ["r0"]  # waiting on the row lock
    let_first_finish.set()
    first.join(10)
    second.join(10)
    assert traded == ["r0", "r1"]
    assert SmintioConnection.objects.get(pk=1).refresh_token == "r2"
