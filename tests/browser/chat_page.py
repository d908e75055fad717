#!/usr/bin/env python3
"""chat_page: serve's chat page driven in headless Chromium, as a user would.

usage: tests/browser/chat_page.py URL SCREENSHOT.png

Opens URL (a running `serve`), types a prompt full of markup into the prompt box (the
browser's own input events), clicks Send, and waits for the streamed answer. Checks:
  - the answer's text appears on the page and ends with its tokens line;
  - the prompt comes back on the page as text, markup and all, and no element was made
    from it or from the answer (no <b>, <i>, <img>, <script> in the conversation);
  - the page fetched nothing but the server's own resources, and no script error happened.
Writes a screenshot of the page. Talks to Chromium over --remote-debugging-pipe (the
DevTools protocol on file descriptors 3 and 4): no WebSocket library, nothing to install
beyond Chromium. Exit 0 when all holds; 1 naming what failed; 2 when Chromium cannot run.
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

PROMPT = 'the <b>king</b> & <i>queen</i><img src=x onerror="document.title=1">'


class Browser:
    def __init__(self):
        exe = shutil.which("chromium") or shutil.which("chromium-browser")
        if not exe:
            print("chat_page: chromium is not installed (apt-get install chromium)", file=sys.stderr)
            sys.exit(2)
        self.profile = tempfile.mkdtemp(prefix="chat-page-")
        to_r, self.to_w = os.pipe()
        self.from_r, from_w = os.pipe()

        def fds():  # in the child: the pipe ends become 3 and 4 (copies first: they may be 3 or 4)
            a, b = os.dup(to_r), os.dup(from_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            [exe, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
             "--user-data-dir=" + self.profile, "--window-size=1000,900", "about:blank"],
            preexec_fn=fds, pass_fds=(3, 4, to_r, from_w), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_r)
        os.close(from_w)
        self.buf = b""
        self.next_id = 0
        self.events = []

    def send(self, method, params=None, session=None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.to_w, json.dumps(msg).encode() + b"\0")
        want = self.next_id
        while True:
            m = self.read()
            if m.get("id") == want:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            self.events.append(m)

    def read(self):
        while b"\0" not in self.buf:
            chunk = os.read(self.from_r, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def close(self):
        try:
            self.proc.kill()
            self.proc.wait(10)
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    url, png = sys.argv[1], sys.argv[2]
    b = Browser()
    try:
        return check(b, url, png)
    finally:
        b.close()


def check(b, url, png):
    target = b.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    s = b.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    for domain in ("Page", "Runtime", "Log"):
        b.send(domain + ".enable", session=s)
    b.send("Page.navigate", {"url": url}, session=s)

    def js(expr):
        r = b.send("Runtime.evaluate", {"expression": expr, "returnByValue": True}, session=s)
        if "exceptionDetails" in r:
            raise RuntimeError("page script: %s" % r["exceptionDetails"])
        return r["result"].get("value")

    deadline = time.time() + 20
    while js("document.readyState") != "complete" or not js("!!document.getElementById('send')"):
        if time.time() > deadline:
            print("chat_page: the page did not load", file=sys.stderr)
            return 1
        time.sleep(0.05)
    # type as a user does: focus the box, clear it, insert the text, click Send where it is
    js("var p = document.getElementById('prompt'); p.focus(); p.select(); 0")
    b.send("Input.dispatchKeyEvent", {"type": "keyDown", "key": "Backspace", "code": "Backspace",
                                      "windowsVirtualKeyCode": 8}, session=s)
    b.send("Input.dispatchKeyEvent", {"type": "keyUp", "key": "Backspace", "code": "Backspace",
                                      "windowsVirtualKeyCode": 8}, session=s)
    b.send("Input.insertText", {"text": PROMPT}, session=s)
    x, y = js("var r = document.getElementById('send').getBoundingClientRect(); [r.x + r.width / 2, r.y + r.height / 2]")
    for kind in ("mousePressed", "mouseReleased"):
        b.send("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1},
               session=s)
    deadline = time.time() + 20
    while not js("!!document.querySelector('#log li.model .meta, #log li.error')"):
        if time.time() > deadline:
            print("chat_page: no answer on the page after 20 s", file=sys.stderr)
            return 1
        time.sleep(0.05)
    state = js("""(function () {
      var you = document.querySelector('#log li.you'), model = document.querySelector('#log li.model');
      var err = document.querySelector('#log li.error');
      return {you: you && you.textContent, model: model && model.firstChild && model.firstChild.textContent,
              meta: model && model.querySelector('.meta') && model.querySelector('.meta').textContent,
              error: err && err.textContent, title: document.title,
              made: document.querySelectorAll('#log b, #log i, #log img, #log script').length,
              resources: performance.getEntriesByType('resource').map(function (e) { return e.name; })};
    })()""")
    problems = []
    if state["error"]:
        problems.append("the page shows an error: %s" % state["error"])
    if state["you"] != PROMPT:
        problems.append("the prompt is not on the page as text: %r" % state["you"])
    if not state["model"]:
        problems.append("no answer text on the page")
    if not state["meta"] or "tokens in" not in state["meta"]:
        problems.append("the answer has no tokens line: %r" % state["meta"])
    if state["made"]:
        problems.append("%d elements were made from the conversation's markup" % state["made"])
    if state["title"] == "1":
        problems.append("the prompt's onerror ran")
    origin = url.rstrip("/")
    for r in state["resources"]:
        if not r.startswith(origin + "/"):
            problems.append("fetched from elsewhere: %s" % r)
    for e in b.events:
        if e.get("method") in ("Runtime.exceptionThrown",) or (
                e.get("method") == "Log.entryAdded" and e["params"]["entry"].get("level") == "error"):
            problems.append("browser error: %s" % json.dumps(e["params"])[:300])
    shot = b.send("Page.captureScreenshot", {"format": "png"}, session=s)
    with open(png, "wb") as f:
        f.write(base64.b64decode(shot["data"]))
    for p in problems:
        print("chat_page: " + p, file=sys.stderr)
    if not problems:
        print("chat_page: ok: %d characters streamed onto the page; the prompt shown as text: %s"
              % (len(state["model"]), state["you"]))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
