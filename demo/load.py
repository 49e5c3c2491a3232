"""Load on loopback, shared by ``scripts/loadtest.py`` and the benchmark's "overview under load":
gunicorn serving the product, clients that each log in as a user of their own and fetch pages in a
loop, the time to each response's first byte and to its last, and percentiles. Standard library
only (the load test imports it before Django is set up); traffic goes to 127.0.0.1 only."""

import http.cookiejar
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def gunicorn_start(env: dict, *, port: int, workers: int = 2) -> subprocess.Popen:
    """gunicorn serving the product on 127.0.0.1:``port`` with the environment given (its
    database); returns once it answers."""
    process = subprocess.Popen(  # noqa: S603 - our own server, fixed arguments
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "sferum_migration.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    for _ in range(150):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2)
            return process
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    gunicorn_stop(process)
    raise RuntimeError("gunicorn did not answer within 30 s")


def gunicorn_stop(process: subprocess.Popen) -> None:
    """Stop the server: SIGTERM, then SIGKILL after 20 s."""
    process.terminate()
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


def session_login(base: str, username: str, password: str):
    """A logged-in session (cookies) of one user, through the login form as a browser sends it."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/accounts/login/", timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token})
    request = urllib.request.Request(  # noqa: S310 - a fixed http://127.0.0.1 address
        f"{base}/accounts/login/", data=data.encode(), headers={"Referer": base}
    )
    opener.open(request, timeout=10)
    return opener


@dataclass
class LoadResults:
    """Per URL: seconds to the first byte and to the last of each response, and the errors."""

    first_byte: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    whole: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    lock: threading.Lock = field(default_factory=threading.Lock)


def client_loop(opener, *, base: str, urls: list[str], deadline: float, results: LoadResults, start: int = 0):
    """Fetch the URLs in turn until ``deadline`` (time.monotonic()); a response other than 200, a
    refused connection or a timeout counts as an error."""
    n = start
    while time.monotonic() < deadline:
        url = urls[n % len(urls)]
        n += 1
        began = time.perf_counter()
        first = None
        try:
            response = opener.open(base + url, timeout=30)  # returns once the status line and headers are in
            first = time.perf_counter() - began
            response.read()
            ok = response.status == 200
        except (urllib.error.URLError, TimeoutError, ConnectionError):
            ok = False
        whole = time.perf_counter() - began
        with results.lock:
            results.whole[url].append(whole)
            results.first_byte[url].append(first if first is not None else whole)
            if not ok:
                results.errors[url] += 1


def clients_run(openers: list, *, base: str, urls: list[str], seconds: float, during=None) -> LoadResults:
    """Every session fetching the URLs for ``seconds``; ``during()`` is called once they all run
    (a national upload, say) and may return a process (``wait()``) or a thread (``join()``),
    waited for at the end."""
    results = LoadResults()
    deadline = time.monotonic() + seconds
    threads = [
        threading.Thread(
            target=client_loop,
            kwargs={"base": base, "urls": urls, "deadline": deadline, "results": results, "start": i},
            args=(opener,),
        )
        for i, opener in enumerate(openers)
    ]
    for thread in threads:
        thread.start()
    side = during() if during else None
    for thread in threads:
        thread.join()
    if side is not None:
        (side.join if isinstance(side, threading.Thread) else side.wait)()
    return results


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]
