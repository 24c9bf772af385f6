"""Screenshots of a running demo server for the README's first-hour walkthrough.

    python3 scripts/screenshots.py [--url http://localhost:8069] [--db isp_demo] [--out docs/img]

Logs in through Odoo's JSON-RPC, hands the session cookie to headless Chromium through
its DevTools protocol and saves one PNG per page of ``PAGES``. Start the server first
(``make run``); nothing here changes the database.
"""

import argparse
import base64
import json
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import websocket

ROOT = Path(__file__).resolve().parent.parent

#: (file name, login, password, path, CSS selector that is there once the page is ready)
PAGES = [
    ("dashboard.png", "manager", "manager", "/odoo/action-isp_sales.isp_dashboard_action", ".o_isp_dashboard canvas"),
    ("invoice-runs.png", "manager", "manager", "/odoo/action-isp_sales.isp_billing_run_action", ".o_list_renderer"),
    ("dunning-runs.png", "manager", "manager", "/odoo/action-isp_dunning.isp_dunning_run_action", ".o_list_renderer"),
    ("portal-home.png", "kunde", "kunde", "/my", "a[href^='/my/invoices']"),
    ("portal-services.png", "kunde", "kunde", "/my/services", ".o_portal_my_doc_table, table"),
    ("portal-invoices.png", "kunde", "kunde", "/my/invoices", ".o_portal_my_doc_table, table"),
]


def session_id(url, db, login, password):
    """Log in with Odoo's JSON-RPC and return the session cookie's value."""
    payload = {"jsonrpc": "2.0", "params": {"db": db, "login": login, "password": password}}
    if urllib.parse.urlparse(url).scheme not in ("http", "https"):
        sys.exit(f"error: {url} is not an http(s) address")
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        f"{url}/web/session/authenticate",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        body = json.load(response)
        if body.get("error"):
            sys.exit(f"error: {login} cannot log in: {body['error']['data']['message']}")
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            if name.strip() == "session_id":
                return rest.split(";", 1)[0]
    sys.exit(f"error: no session cookie for {login}")


class Chromium:
    """A headless Chromium driven through its DevTools protocol: just enough for screenshots."""

    def __init__(self, width, height):
        binary = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
        if not binary:
            sys.exit("error: Chromium is not installed: run `make setup`")
        self.profile = tempfile.TemporaryDirectory()
        self.process = subprocess.Popen(
            [
                binary,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--window-size={width},{height}",
                "--remote-debugging-port=0",
                f"--user-data-dir={self.profile.name}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = Path(self.profile.name) / "DevToolsActivePort"
        for _ in range(100):
            if port_file.is_file() and port_file.read_text().strip():
                break
            time.sleep(0.1)
        port = port_file.read_text().split()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as response:
            page = next(target for target in json.load(response) if target["type"] == "page")
        self.socket = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60)
        self.counter = 0
        self.send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)

    def send(self, method, **params):
        self.counter += 1
        self.socket.send(json.dumps({"id": self.counter, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.counter:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def wait_for(self, selector, timeout=30):
        # there and visible (the portal shows its document counters once they are loaded)
        expression = f"[...document.querySelectorAll({json.dumps(selector)})].some((e) => e.offsetParent !== null)"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.send("Runtime.evaluate", expression=expression)["result"].get("value"):
                # charts animate and fonts settle
                time.sleep(1.5)
                return True
            time.sleep(0.3)
        return False

    def close(self):
        self.socket.close()
        self.process.terminate()
        self.process.wait(timeout=30)
        self.profile.cleanup()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://localhost:8069")
    parser.add_argument("--db", default="isp_demo")
    parser.add_argument("--out", default=str(ROOT / "docs" / "img"))
    parser.add_argument("--width", type=int, default=1440)
    parser.add_argument("--height", type=int, default=900)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    host = urllib.parse.urlparse(args.url).hostname
    browser = Chromium(args.width, args.height)
    sessions = {}
    missing = []
    try:
        browser.send("Page.enable")
        for name, login, password, path, selector in PAGES:
            if login not in sessions:
                sessions[login] = session_id(args.url, args.db, login, password)
            browser.send("Network.clearBrowserCookies")
            browser.send("Network.setCookie", name="session_id", value=sessions[login], domain=host, path="/")
            browser.send("Page.navigate", url=f"{args.url}{path}")
            if not browser.wait_for(selector):
                missing.append(f"{name}: {selector} not found on {path}")
                continue
            data = browser.send("Page.captureScreenshot", format="png")["data"]
            (out / name).write_bytes(base64.b64decode(data))
            print(f"screenshots: {out / name}")
    finally:
        browser.close()
    if missing:
        sys.exit("error: " + "; ".join(missing))


if __name__ == "__main__":
    main()
