"""Many visitors at once: ``gradio_client`` clients that send their requests together,
for the tests and the benchmarks."""

import threading
import time
from dataclasses import dataclass, field

CONNECT_TIMEOUT = 120.0  # seconds for every client to connect, on a busy machine


@dataclass
class Outcome:
    answers: list = field(default_factory=list)  # the responses, in the order they came back
    latencies: list[float] = field(default_factory=list)  # seconds, one per answered request
    errors: list[str] = field(default_factory=list)  # "ExceptionType: message", one per failed request
    seconds: float = 0.0  # from the first request sent to the last answer


def crowd(url: str, make_sender, clients: int, requests: int) -> Outcome:
    """``clients`` threads each open their own ``gradio_client.Client`` on ``url``, wait until
    all are connected, then each sends ``requests`` requests with ``make_sender(index)(client)``,
    where ``index`` numbers the visitor. A failed request is counted in ``errors``, never
    raised; a crowd that cannot connect raises ``RuntimeError``."""
    from gradio_client import Client
    outcome, lock = Outcome(), threading.Lock()
    everyone_connected = threading.Barrier(clients + 1)

    def connect():  # a visitor whose page did not load tries again, twice
        for attempt in range(3):
            try:
                return Client(url, verbose=False)
            except Exception:
                if attempt == 2:
                    raise

    def visitor(index):
        try:
            client, send = connect(), make_sender(index)
            everyone_connected.wait(timeout=CONNECT_TIMEOUT)
        except Exception as error:  # a visitor who could not connect stops the whole crowd
            everyone_connected.abort()
            with lock:
                outcome.errors.append(f"could not connect: {type(error).__name__}: {error}"[:300])
            return
        for _ in range(requests):
            begin = time.perf_counter()
            try:
                answer = send(client)
            except Exception as error:  # counted and shown, never hidden
                with lock:
                    outcome.errors.append(f"{type(error).__name__}: {error}"[:300])
                continue
            with lock:
                outcome.latencies.append(time.perf_counter() - begin)
                outcome.answers.append(answer)

    threads = [threading.Thread(target=visitor, args=(index,)) for index in range(clients)]
    for thread in threads:
        thread.start()
    try:
        everyone_connected.wait(timeout=CONNECT_TIMEOUT)
    except threading.BrokenBarrierError:
        for thread in threads:
            thread.join()
        raise RuntimeError(f"the crowd could not connect to {url}: {outcome.errors[:1]}") from None
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    outcome.seconds = time.perf_counter() - start
    return outcome
