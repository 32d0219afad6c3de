#!/usr/bin/python3
"""The fleet page's "Reports and texts" section in headless chromium.

Run by HotlineBrowserTests.swift against a `picket sector` with a hotline
that has taken a subscriber's report, an unknown phone's text and a STOP:

    hotline_section.py BASE_URL OPERATOR PASSWORD NOTE UNKNOWN_PHONE OPTED_OUT_PHONE

Any failure exits 1 with one line starting "FAIL:".
"""

import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fleet_page  # noqa: E402  (the same driver, waits and readers)
from fleet_page import By, Failure, Keys, check, css, make_driver, step, texts, wait  # noqa: E402


def run(driver, base, operator, password, note, unknown, opted_out):
    step("log in")
    driver.get(base + "/login")
    driver.find_element(By.ID, "name").send_keys(operator)
    driver.find_element(By.ID, "password").send_keys(password + Keys.ENTER)
    wait(driver, "the fleet page after login", lambda d: css(d, "#hotline-reports"))
    step("the report, with its note as text and who took it")
    wait(driver, "the report in Reports and texts",
         lambda d: any(note in t for t in texts(d, "#hotline-reports li")))
    report = next(t for t in texts(driver, "#hotline-reports li") if note in t)
    check("FOOT in north-fork from Ann Ferris" in report, f"the report reads {report!r}")
    check("not taken yet" in report, f"no box has taken it yet: {report!r}")
    check(css(driver, "#hotline-reports b") == 0, "the note's markup must be shown as text, not made elements")
    step("the unknown phone's text and the opt-out")
    wait(driver, "the unknown phone's text",
         lambda d: any(unknown in t and "unknown phone" in t for t in texts(d, "#hotline-texts li")))
    wait(driver, "the opted-out phone", lambda d: any(opted_out in t for t in texts(d, "#hotline-opted-out li")))


def main():
    base, operator, password, note, unknown, opted_out = sys.argv[1:7]
    driver = make_driver()
    try:
        run(driver, base, operator, password, note, unknown, opted_out)
    finally:
        driver.quit()
        if fleet_page.PROFILE["dir"]:
            shutil.rmtree(fleet_page.PROFILE["dir"], ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    except Failure as failure:
        print(f"FAIL: {failure}")
        sys.exit(1)
