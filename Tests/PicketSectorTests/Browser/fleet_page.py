#!/usr/bin/python3
"""The fleet page of `picket sector` in a real browser (headless chromium
driven by Selenium through chromedriver).

Run by FleetPageBrowserTests.swift against a `picket sector` it started:

    fleet_page.py BASE_URL OPERATOR PASSWORD LIVE_BOX LIVE_SECRET_FILE QUIET_BOX QUIET_SECRET_FILE

It posts signed alerts and statuses as a box does (PRODUCT.md section 6)
and checks what an operator sees. Any failure exits 1 with one line
starting "FAIL:" that says what was expected and what was found.
"""

import hashlib
import hmac
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

try:
    from selenium import webdriver
    from selenium.common.exceptions import StaleElementReferenceException, TimeoutException, WebDriverException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError as error:  # said plainly: the Swift test passes it on
    print(f"FAIL: python3 cannot import selenium ({error}); install it: apt-get install -y python3-selenium")
    sys.exit(2)

WAIT_S = 30  # generous: the machine may be loaded
LIVE_S = 2.0  # issue 12: a new alert shows within 2 s without a reload
PROFILE = {"dir": None}  # chromium's profile folder, removed at the end


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def step(text):
    print(f"-- {text}", flush=True)


class Box:
    """Posts as a box does: signed with the box's secret (HMAC-SHA256)."""

    def __init__(self, base, name, secret_file):
        self.base = base
        self.name = name
        with open(secret_file, "rb") as f:
            self.secret = f.read().rstrip(b"\r\n\t ")

    def post(self, path, document, key=None):
        body = json.dumps(document).encode()
        ts = str(int(time.time()))
        signature = hmac.new(self.secret, ts.encode() + b"." + body, hashlib.sha256).hexdigest()
        headers = {
            "Content-Type": "application/json",
            "X-Picket-Box": self.name,
            "X-Picket-Timestamp": ts,
            "X-Picket-Signature": "v1=" + signature,
        }
        if key:
            headers["Idempotency-Key"] = key
        request = urllib.request.Request(self.base + path, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=WAIT_S) as response:
                return response.status
        except urllib.error.HTTPError as error:
            raise Failure(f"POST {path} as box {self.name}: HTTP {error.code}: {error.read()[:500]!r}")

    def status(self, lat, lon):
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        return self.post("/v1/status", {
            "type": "status", "id": "status-" + uuid.uuid4().hex, "box": self.name, "sector": "browser",
            "ts": now, "version": "test", "uptime_s": 10, "position": {"lat": lat, "lon": lon},
            "clock": {"synced": True, "gps_offset_s": 0.2}, "disk_free_mb": 1000, "db_mb": 2,
            "outbox": {"pending": 3, "dead": 0, "oldest_pending_ts": None}, "reports_taken": [],
            "sensors": [
                {"sensor": "pir-1", "kind": "pir", "zone": "north", "healthy": True, "detail": None,
                 "last_event_ts": now, "last_heartbeat_ts": now, "battery_mv": 3650, "tamper": False},
                {"sensor": "mag-2", "kind": "magnetometer", "zone": "gate", "healthy": False,
                 "detail": "no heartbeat for 20 min", "last_event_ts": None, "last_heartbeat_ts": None,
                 "battery_mv": 3210, "tamper": False},
            ],
        })

    def alert(self, alert_id, summary, lat, lon):
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        return self.post("/v1/alerts", {
            "id": alert_id, "rule": "pir-only", "severity": "high", "box": self.name, "sector": "browser",
            "zone": "north", "first_ts": now, "last_ts": now, "events": ["e1"],
            "position": {"lat": lat, "lon": lon}, "summary": summary,
        }, key=alert_id)


def login_status(base, name, password):
    """POST /login as a form, outside the browser: (status, headers)."""
    body = urllib.parse.urlencode({"name": name, "password": password}).encode()
    request = urllib.request.Request(
        base + "/login", data=body, method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=WAIT_S) as response:
            return response.status, response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.headers


def make_driver():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    check(chromium, "no chromium on PATH: apt-get install -y chromium")
    check(driver_path, "no chromedriver on PATH: apt-get install -y chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    options.add_argument("--headless=new")
    options.add_argument("--disable-gpu")
    # Keep chromium's profile and cache off the disk where other tests fsync their databases.
    if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
        PROFILE["dir"] = tempfile.mkdtemp(prefix="picket-chromium-", dir="/dev/shm")
        options.add_argument("--user-data-dir=" + PROFILE["dir"])
    else:
        options.add_argument("--disable-dev-shm-usage")
    options.add_argument("--incognito")
    options.add_argument("--disk-cache-size=1")
    options.add_argument("--window-size=1200,900")
    for quieter in ["--disable-extensions", "--disable-background-networking", "--no-first-run", "--mute-audio"]:
        options.add_argument(quieter)  # less work beside the other tests
    if os.geteuid() == 0:
        options.add_argument("--no-sandbox")  # chromium refuses to run as root with its sandbox
    return webdriver.Chrome(service=Service(executable_path=driver_path), options=options)


def wait(driver, what, condition, timeout=WAIT_S):
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.05,
                             ignored_exceptions=[StaleElementReferenceException]).until(lambda d: condition(d))
    except TimeoutException:
        raise Failure(f"timed out after {timeout} s waiting for {what}; the page at {driver.current_url} shows:\n"
                      + driver.find_element(By.TAG_NAME, "body").text[:3000])


# The page rebuilds parts of itself on every update: read it in one script
# call each time instead of holding element references that go stale.
def css(driver, selector):
    """How many elements match (0 is false)."""
    return driver.execute_script("return document.querySelectorAll(arguments[0]).length", selector)


def texts(driver, selector):
    """The textContent of every match."""
    return driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0]), e => e.textContent)", selector)


def text(driver, selector):
    """The rendered text (innerText) of the first match, or ''."""
    return driver.execute_script(
        "const e = document.querySelector(arguments[0]); return e ? e.innerText : ''", selector)


def attribute(driver, selector, name):
    return driver.execute_script(
        "const e = document.querySelector(arguments[0]); return e ? e.getAttribute(arguments[1]) : null",
        selector, name)


def press_enter_on(driver, selector):
    """Focus the element and press Enter, as a keyboard user does (again if the page replaced it meanwhile)."""
    for _ in range(10):
        try:
            driver.execute_script("document.querySelector(arguments[0]).focus()", selector)
            driver.switch_to.active_element.send_keys(Keys.ENTER)
            return
        except StaleElementReferenceException:
            time.sleep(0.1)
    raise Failure(f"could not press Enter on {selector}: the page kept replacing it")


def fetch(driver, path, method="POST", headers=None):
    """fetch() from the page itself (same origin, the session's cookie): the HTTP status."""
    return driver.execute_async_script(
        """
        const [path, method, headers, done] = arguments;
        fetch(path, {method, headers, credentials: "same-origin"})
          .then(r => done(r.status), e => done("error: " + e));
        """, path, method, headers or {})


def main():
    base, operator, password, live_name, live_secret, quiet_name, quiet_secret = sys.argv[1:8]
    live = Box(base, live_name, live_secret)
    quiet = Box(base, quiet_name, quiet_secret)
    driver = make_driver()
    try:
        run(driver, base, operator, password, live, quiet)
    finally:
        driver.quit()
        if PROFILE["dir"]:
            shutil.rmtree(PROFILE["dir"], ignore_errors=True)


def run(driver, base, operator, password, live, quiet):
    step("the page needs a session: / goes to /login")
    driver.get(base + "/")
    check(urllib.parse.urlparse(driver.current_url).path == "/login",
          f"GET / without a session should end at /login, ended at {driver.current_url}")

    step("a wrong password is refused")
    driver.find_element(By.ID, "name").send_keys(operator)
    driver.find_element(By.ID, "password").send_keys(password + "-wrong")
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait(driver, "the login error", lambda d: css(d, "#login-error"))
    check("Wrong name or password" in driver.find_element(By.ID, "login-error").text,
          f"expected 'Wrong name or password', found {driver.find_element(By.ID, 'login-error').text!r}")
    check(not any(c["name"] == "picket_session" for c in driver.get_cookies()),
          "a wrong password must not set a session cookie")

    step("the right password logs in (keyboard only: Enter submits)")
    name_field = driver.find_element(By.ID, "name")
    name_field.clear()
    name_field.send_keys(operator)
    driver.find_element(By.ID, "password").send_keys(password + Keys.ENTER)
    wait(driver, "the fleet page after login",
         lambda d: urllib.parse.urlparse(d.current_url).path == "/" and css(d, "#open"))
    cookie = next((c for c in driver.get_cookies() if c["name"] == "picket_session"), None)
    check(cookie is not None, f"no picket_session cookie after login: {driver.get_cookies()}")
    check(cookie.get("httpOnly") is True, f"the session cookie must be HttpOnly: {cookie}")
    check(cookie.get("sameSite") == "Strict", f"the session cookie must be SameSite=Strict: {cookie}")
    check(driver.execute_script("return document.cookie").find("picket_session") < 0,
          "the page's script can read the session cookie")

    step("a box's status shows: position, sensors, battery, clock, outbox")
    live.status(44.10, -72.50)
    # The live box keeps sending, as a running box does, so only the quiet one goes offline.
    keep_sending = threading.Event()
    problems = []

    def send():
        while not keep_sending.wait(1.0):
            try:
                live.status(44.10, -72.50)
            except Exception as error:  # reported by the main thread
                problems.append(str(error))

    threading.Thread(target=send, daemon=True).start()
    try:
        run_logged_in(driver, base, operator, password, live, quiet)
    finally:
        keep_sending.set()
    check(not problems, f"the live box's statuses were refused: {problems[:3]}")


def type_into(driver, field_id, value):
    field = driver.find_element(By.ID, field_id)
    field.clear()
    field.send_keys(value)


def subscriber_steps(driver):
    """The Subscribers section: add through the form (keyboard only), a bad phone refused, Remove."""
    step("a subscriber added through the form (keyboard: Enter submits) is listed")
    name = "North <b>farm</b>"
    type_into(driver, "subscriber-name", name)
    type_into(driver, "subscriber-phone", "+18025550100")
    type_into(driver, "subscriber-zones", "north-fork, ridge-01:gate")
    driver.find_element(By.ID, "subscriber-severity").send_keys("medium")
    type_into(driver, "subscriber-quiet", "22:00-06:00")
    type_into(driver, "subscriber-cap", "4" + Keys.ENTER)
    row = '#subscribers tr[data-phone="+18025550100"]'
    wait(driver, "the new subscriber in the list", lambda d: css(d, row))
    shown = text(driver, row)
    for expected in [name, "+18025550100", "north-fork, ridge-01:gate", "medium", "22:00-06:00", "4 an hour",
                     "receiving"]:
        # innerText as shown: the badge is upper case by CSS.
        check(expected.lower() in shown.lower(), f"the subscriber's row should show {expected!r}; it shows {shown!r}")
    check(not css(driver, row + " b"), "the subscriber's name became markup: not escaped")
    check("Added" in text(driver, "#subscriber-message"),
          f"no confirmation after adding: {text(driver, '#subscriber-message')!r}")

    step("a phone that is not E.164 is refused with a message naming it")
    type_into(driver, "subscriber-name", "Ford")
    type_into(driver, "subscriber-phone", "5550100")
    type_into(driver, "subscriber-zones", "ford" + Keys.ENTER)
    wait(driver, "the refusal", lambda d: "E.164" in text(d, "#subscriber-message"))
    message = text(driver, "#subscriber-message")
    check("phone" in message, f"the refusal should name the phone field: {message!r}")
    check(not css(driver, '#subscribers tr[data-phone="5550100"]'), "a refused subscriber is listed")

    step("a second subscriber, then Remove (by keyboard) takes it off the list")
    type_into(driver, "subscriber-phone", "+447700900123" + Keys.ENTER)
    second = '#subscribers tr[data-phone="+447700900123"]'
    wait(driver, "the second subscriber", lambda d: css(d, second))
    check("no cap" in text(driver, second) and "none" in text(driver, second),
          f"defaults should show as no cap and no quiet hours: {text(driver, second)!r}")
    button = second + " button.remove"
    check(css(driver, button + "[type=button]"), "Remove is not a button")
    press_enter_on(driver, button)
    wait(driver, "the removed subscriber gone", lambda d: not css(d, second))
    time.sleep(1.5)  # the stream's next view must not bring it back
    check(not css(driver, second), "the removed subscriber came back")
    check(css(driver, row), "removing one subscriber removed the other")


def run_logged_in(driver, base, operator, password, live, quiet):
    row = f'tr[data-box="{live.name}"]'
    wait(driver, f"box {live.name} online", lambda d: any(
        t == "online" for t in texts(d, row + " .state")))
    shown = text(driver, row)
    for expected in ["1 of 2 healthy", "mag-2", "3.21 V", "synced", "3 pending"]:
        check(expected in shown, f"box row should show {expected!r}; it shows {shown!r}")

    step(f"a new alert appears within {LIVE_S} s, without a reload")
    driver.execute_script("window.__picketNoReload = 'still here';")
    alert_id = "browser-" + uuid.uuid4().hex
    summary = "motion at <b>north</b> & <script>alert(1)</script> gate"
    live.alert(alert_id, summary, 44.12, -72.48)
    posted = time.monotonic()
    item = f'#open li[data-alert-id="{alert_id}"]'
    wait(driver, f"alert {alert_id} in the open list", lambda d: css(d, item), timeout=WAIT_S)
    took = time.monotonic() - posted
    print(f"   the alert showed {took:.2f} s after its POST was answered")
    check(took <= LIVE_S, f"the alert took {took:.2f} s to show; it should within {LIVE_S} s")
    check(driver.execute_script("return window.__picketNoReload") == "still here",
          "the page reloaded to show the alert; it should update live")
    shown = text(driver, item)
    check(summary in shown, f"the summary should show as text {summary!r}; the item shows {shown!r}")
    check(not css(driver, item + " b, " + item + " script"), "the summary's markup became elements: not escaped")
    check(css(driver, f'#plot circle[data-alert-id="{alert_id}"]'), "the alert is not on the position plot")
    check(css(driver, f'#timeline circle[data-alert-id="{alert_id}"]'), "the alert is not on the timeline")

    step("a POST without the CSRF token is refused and changes nothing")
    ack_path = "/v1/alerts/" + urllib.parse.quote(alert_id, safe="") + "/ack"
    status = fetch(driver, ack_path)
    check(status == 403, f"POST {ack_path} without X-Picket-CSRF answered {status}, expected 403")
    status = fetch(driver, ack_path, headers={"X-Picket-CSRF": "0" * 64})
    check(status == 403, f"POST {ack_path} with a wrong X-Picket-CSRF answered {status}, expected 403")
    status = fetch(driver, "/logout")
    check(status == 403, f"POST /logout without the csrf field answered {status}, expected 403")
    alerts = json.loads(driver.execute_async_script(
        """
        const done = arguments[0];
        fetch("/v1/alerts", {credentials: "same-origin"}).then(r => r.text()).then(done, e => done("" + e));
        """))
    mine = [a for a in alerts["alerts"] if a["id"] == alert_id]
    check(mine and mine[0].get("acknowledged_by") is None, f"the refused POST acknowledged the alert: {mine}")
    check(css(driver, item), "the alert left the open list after a refused acknowledgement")

    step("Acknowledge (by keyboard) moves it to the acknowledged list")
    check(css(driver, item + " button[type=button]") and "Acknowledge" in text(driver, item + " button"),
          "the Acknowledge control is not a button")
    press_enter_on(driver, item + " button")
    done = f'#acknowledged li[data-alert-id="{alert_id}"]'
    wait(driver, "the alert in the acknowledged list", lambda d: css(d, done) and not css(d, item))
    check(f"acknowledged by {operator}" in text(driver, done),
          f"expected 'acknowledged by {operator}', found {text(driver, done)!r}")

    step("after a reload it is still acknowledged")
    driver.refresh()
    wait(driver, "the acknowledged alert after the reload", lambda d: css(d, done))
    check(not css(driver, item), "after the reload the alert is open again")
    check(f"acknowledged by {operator}" in text(driver, done),
          "after the reload the alert does not say who acknowledged it")

    step("a box that stops sending is marked offline")
    quiet.status(44.05, -72.55)
    quiet_row = f'tr[data-box="{quiet.name}"]'
    wait(driver, f"box {quiet.name} marked offline", lambda d: any(
        t == "offline" for t in texts(d, quiet_row + " .state")))
    check("offline" in (attribute(driver, quiet_row, "class") or ""),
          f"the row of {quiet.name} is not marked offline")
    wait(driver, "its box.offline alert", lambda d: any(
        "offline" in t and quiet.name in t for t in texts(d, "#open li")))

    subscriber_steps(driver)

    step("readable on a phone: no horizontal scroll at 375 px")
    driver.set_window_size(375, 800)
    wait(driver, "the narrow layout", lambda d: d.execute_script("return window.innerWidth") <= 400)
    overflow = driver.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
    check(overflow <= 0, f"at 375 px the page scrolls sideways by {overflow} px")

    step("focus is visible on buttons")
    driver.execute_script("document.querySelector('#open button').focus()")
    outline = driver.execute_script(
        "return getComputedStyle(document.activeElement).outlineStyle")
    check(outline not in ("none", ""), f"a focused button shows no outline ({outline!r})")

    step("log out (with the form's CSRF field) ends the session")
    driver.find_element(By.CSS_SELECTOR, "form.logout button").click()
    wait(driver, "/login after logout", lambda d: urllib.parse.urlparse(d.current_url).path == "/login")
    driver.get(base + "/")
    check(urllib.parse.urlparse(driver.current_url).path == "/login", "after logout / still shows the page")

    step("login attempts are rate limited per name")
    codes = [login_status(base, operator, "wrong-" + str(i))[0] for i in range(4)]
    check(all(c == 401 for c in codes), f"wrong passwords should answer 401, answered {codes}")
    status, headers = login_status(base, operator, password)
    check(status == 429, f"after 5 failures in 15 min the right password should get 429, got {status}")
    retry = headers.get("Retry-After")
    check(retry is not None and retry.isdigit() and int(retry) > 0, f"429 without a Retry-After in seconds: {retry}")
    print("OK: the fleet page passed every check")


if __name__ == "__main__":
    try:
        main()
    except Failure as failure:
        print(f"FAIL: {failure}")
        sys.exit(1)
    except WebDriverException as error:
        print(f"FAIL: the browser or chromedriver failed: {error}")
        sys.exit(1)
