#!/usr/bin/env python3
"""The web view of `vpcsim serve` in a real browser (Debian's Chromium, driven by Selenium over
chromedriver), against a live server on loopback:

- the page loads with no console errors and draws the topology (an <svg> with every link);
- a trace typed into the form draws its path: the hops' elements carry `on-path`, the path's
  segments are drawn, the verdict and the hop table are shown;
- a link unticked takes it down: the path moves to the backup link, the one down is drawn down;
- the check results are shown; a name resolves;
- an edit of the topology file (`--watch`) reaches the page through /events without a reload;
- a page served under another host name (DNS rebinding) gets nothing from the API;
- screenshots are taken (target/browser/*.png) and are not blank.

    python3 tests/browser/run.py [PATH/TO/vpcsim]

Needs `selenium` importable by this Python and /usr/bin/chromium and /usr/bin/chromedriver
(`.ci/run` installs them). Exits 1 on the first failed check, naming it.
"""

import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VPCSIM = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(ROOT, "target", "debug", "vpcsim")
SHOTS = os.path.join(ROOT, "target", "browser")
REQUEST = ("GET https://bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com/"
           "DOC-EXAMPLE-BUCKET1/report.csv")

passed = 0


def check(name, ok, detail=""):
    global passed
    if not ok:
        print(f"FAIL {name}\n{detail}")
        sys.exit(1)
    passed += 1
    print(f"ok   {name}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def png_size(data):
    """Width and height from a PNG's IHDR."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


work = tempfile.mkdtemp(prefix="vpcsim-browser-")
os.makedirs(SHOTS, exist_ok=True)
topo = os.path.join(work, "hybrid-s3.yaml")
shutil.copy(os.path.join(ROOT, "topologies", "hybrid-s3.yaml"), topo)
port = free_port()
base = f"http://127.0.0.1:{port}"
server = subprocess.Popen(
    [VPCSIM, "serve", topo, "--http", f"127.0.0.1:{port}", "--dns-base-port", str(free_port()),
     "--watch"],
    stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "serve.log"), "w"))
driver = None
try:
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/health", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    else:
        check("vpcsim serve starts", False, open(os.path.join(work, "serve.log")).read())

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={work}/profile", "--window-size=1600,1100",
                 # A second name for the same server, as a DNS rebinding attack would give it.
                 "--host-resolver-rules=MAP rebound.example 127.0.0.1"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    # A row or node re-rendered between finding it and reading it is looked up again.
    wait = WebDriverWait(driver, 20, ignored_exceptions=(StaleElementReferenceException,))

    def console_errors():
        return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]

    def has_class(data_id, cls):
        # Read in one script: the diagram is replaced as the page redraws.
        classes = driver.execute_script(
            "const e = document.querySelector(`#diagram g.node[data-id=\"${arguments[0]}\"]`);"
            "return e ? e.getAttribute('class') : '';", data_id)
        return cls in (classes or "").split()

    def shot(name):
        data = driver.get_screenshot_as_png()
        with open(os.path.join(SHOTS, name), "wb") as f:
            f.write(data)
        return data

    # --- The page loads and draws the topology -------------------------------------------------
    driver.get(base + "/")
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#diagram svg g.node"))
    check("the page loads and draws the topology", True)
    check("the page is named after the topology", "hybrid-s3" in driver.title, driver.title)
    wait.until(lambda d: "live" == d.find_element(By.ID, "live").text)
    check("the page follows the server's events (/events)", True)
    ids = {e.get_attribute("data-id") for e in driver.find_elements(By.CSS_SELECTOR, "#diagram svg g.node")}
    for must in ["vpc:shared", "vpc:analytics", "link:dx-primary", "link:vpn-backup", "site:datacenter",
                 "host:datacenter/build-server", "vpce:shared/s3-interface", "rtb:shared/endpoints",
                 "outpost:factory", "pcx:shared-analytics"]:
        check(f"the diagram draws {must}", must in ids, sorted(ids))
    errors = console_errors()
    check("no console errors on load", not errors, errors)

    # --- A trace typed into the form draws its path ----------------------------------------------
    Select(driver.find_element(By.ID, "from")).select_by_value("datacenter/build-server")
    box = driver.find_element(By.ID, "request")
    box.clear()
    box.send_keys(REQUEST)
    driver.find_element(By.ID, "trace-button").click()
    wait.until(lambda d: d.find_element(By.ID, "verdict").text.startswith("allowed"))
    check("the trace's verdict is shown", True)
    wait.until(lambda d: has_class("link:dx-primary", "on-path"))
    check("the path is drawn on the diagram: dx-primary carries it", True)
    check("the endpoint's ENI is on the path",
          any(has_class(i, "on-path") for i in ids if i.startswith("eni:shared/10.0.1")), "")
    check("the source is marked", has_class("host:datacenter/build-server", "source"))
    there = driver.find_elements(By.CSS_SELECTOR, "#diagram line.hop.there")
    back = driver.find_elements(By.CSS_SELECTOR, "#diagram line.hop.back")
    check("the path's segments are drawn there and back", len(there) >= 3 and len(back) >= 2,
          f"{len(there)} there, {len(back)} back")
    badges = driver.find_elements(By.CSS_SELECTOR, "#diagram g.badge")
    rows = driver.find_elements(By.CSS_SELECTOR, "#hops tr.hop")
    check("each hop has its badge and its row", len(badges) == len(rows) and len(rows) > 4,
          f"{len(badges)} badges, {len(rows)} rows")
    data = shot("trace.png")
    w, h = png_size(data)
    check("the screenshot of the traced path is the window's size and not blank",
          w == 1600 and h > 600 and len(data) > 60_000, f"{w}x{h}, {len(data)} bytes")

    # --- A link toggled down: failover to the VPN ------------------------------------------------
    driver.find_element(By.CSS_SELECTOR, 'input[data-link="dx-primary"]').click()
    wait.until(lambda d: has_class("link:vpn-backup", "on-path"))
    check("with dx-primary down the path moves to vpn-backup", True)
    check("dx-primary is drawn down", has_class("link:dx-primary", "down"))
    check("the verdict still allows", driver.find_element(By.ID, "verdict").text.startswith("allowed"))
    shot("failover.png")
    driver.find_element(By.CSS_SELECTOR, 'input[data-link="vpn-backup"]').click()
    wait.until(lambda d: d.find_element(By.ID, "verdict").text.startswith("unreachable"))
    check("with both links down the request is unreachable", True)
    failed = driver.execute_script(
        "return [...document.querySelectorAll('#diagram g.node.failed')].map(e => e.dataset.id)")
    check("the node where it failed is marked", failed == ["site:datacenter"], failed)
    shot("unreachable.png")
    # Back up over the VPN, then its first tunnel down: the second carries it.
    driver.find_element(By.CSS_SELECTOR, 'input[data-link="vpn-backup"]').click()
    wait.until(lambda d: d.find_element(By.ID, "verdict").text.startswith("allowed"))
    driver.find_element(By.CSS_SELECTOR, 'input[data-link="vpn-backup/tunnel1"]').click()
    wait.until(lambda d: any("tunnel1 down" in r.text for r in d.find_elements(By.CSS_SELECTOR, "#hops tr.hop")))
    check("a tunnel unticked: the VPN's second tunnel carries the request", True)
    for link in ["vpn-backup/tunnel1", "dx-primary"]:
        driver.find_element(By.CSS_SELECTOR, f'input[data-link="{link}"]').click()
    wait.until(lambda d: d.find_element(By.ID, "verdict").text.startswith("allowed"))

    # --- Hovering a hop highlights its element ---------------------------------------------------
    wait.until(lambda d: has_class("link:dx-primary", "on-path") and not has_class("link:vpn-backup", "down"))
    for _ in range(5):  # the last redraw may replace the row under the pointer: try again
        try:
            row = driver.find_element(By.CSS_SELECTOR, '#hops tr.hop[data-element="link:dx-primary"]')
            webdriver.ActionChains(driver).move_to_element(row).perform()
            break
        except StaleElementReferenceException:
            time.sleep(0.2)
    check("hovering a hop highlights its element on the diagram",
          has_class("link:dx-primary", "highlight"))

    # --- Check and resolve -----------------------------------------------------------------------
    driver.find_element(By.ID, "check-button").click()
    wait.until(lambda d: "passed" in d.find_element(By.ID, "check-summary").text)
    summary = driver.find_element(By.ID, "check-summary").text
    check("the check results are shown, all passing", summary.endswith(", 0 failed"), summary)
    Select(driver.find_element(By.ID, "resolve-from")).select_by_value("datacenter")
    name = driver.find_element(By.ID, "resolve-name")
    name.clear()
    name.send_keys("bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com")
    driver.find_element(By.ID, "resolve-button").click()
    wait.until(lambda d: d.find_element(By.ID, "resolution").is_displayed())
    text = driver.find_element(By.ID, "resolution").text
    check("a name resolves from the data center to the endpoint's addresses",
          "NOERROR" in text and "10.0.1" in text, text)

    # --- An edit of the file reaches the page through /events ------------------------------------
    gen = driver.find_element(By.ID, "generation").text
    with open(topo) as f:
        text = f.read()
    # First a broken edit: the page says why, and still shows the last valid topology.
    with open(topo, "w") as f:
        f.write(text.replace("  dx-primary:  { type: direct_connect,", "  dx-main:     { type: direct_connect,"))
    try:
        WebDriverWait(driver, 30, ignored_exceptions=(StaleElementReferenceException,)).until(lambda d: d.find_element(By.ID, "reload-error").is_displayed())
    except TimeoutException:
        check("a failed reload reaches the page", False, open(os.path.join(work, "serve.log")).read())
    err = driver.find_element(By.ID, "reload-error").text
    check("a failed reload is shown on the page, with its diagnostic",
          "still serving generation 1" in err and "dx-primary" in err, err)
    check("the page keeps the last valid topology", driver.find_element(By.ID, "generation").text == gen)
    # Then the whole rename: the new generation is drawn.
    with open(topo, "w") as f:
        f.write(text.replace("dx-primary", "dx-main"))
    try:
        WebDriverWait(driver, 30, ignored_exceptions=(StaleElementReferenceException,)).until(lambda d: d.find_element(By.ID, "generation").text != gen)
    except TimeoutException:
        check("a reload reaches the page", False, open(os.path.join(work, "serve.log")).read())
    wait.until(lambda d: not d.find_element(By.ID, "reload-error").is_displayed())
    check("the reload error is cleared by a valid reload", True)
    wait.until(lambda d: has_class("link:dx-main", "on-path"))
    check("a reload (--watch) redraws the page with the renamed link on the path", True)
    check("the old link's checkbox is gone",
          not driver.find_elements(By.CSS_SELECTOR, 'input[data-link="dx-primary"]'))
    errors = console_errors()
    check("no console errors after all that", not errors, errors)
    data = shot("reloaded.png")
    check("the last screenshot is not blank", len(data) > 60_000, f"{len(data)} bytes")

    # --- DNS rebinding: another name for 127.0.0.1 gets nothing ----------------------------------
    driver.get(f"http://rebound.example:{port}/")
    body = driver.find_element(By.TAG_NAME, "body").text
    check("a page under a name the API does not answer is refused (403)",
          "does not answer requests for host" in body, body[:300])
    print(f"\nbrowser: {passed} checks passed; screenshots in {SHOTS}")
finally:
    if driver is not None:
        driver.quit()
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
    shutil.rmtree(work, ignore_errors=True)
