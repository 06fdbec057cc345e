"""How the browser tests start Debian's Chromium (`playwright install` cannot download here)."""

CHROMIUM = "/usr/bin/chromium"
REBIND_HOST = "rebind.test"  # resolved to 127.0.0.1 by Chromium itself: a DNS-rebinding stand-in
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        f"--host-resolver-rules=MAP {REBIND_HOST} 127.0.0.1"]
