"""Adds up the results of every suite ./test ran and prints the closing line "N passed, N failed"."""
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

root, reports = Path(sys.argv[1]), Path(sys.argv[2])


def junit_counts(xml_files):
    passed = failed = skipped = 0
    for path in xml_files:
        for suite in ET.parse(path).getroot().iter("testsuite"):
            total = int(suite.get("tests", 0))
            bad = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
            skip = int(suite.get("skipped", 0))
            passed += total - bad - skip
            failed += bad
            skipped += skip
    return passed, failed, skipped


def cargo_counts(text):
    passed = failed = skipped = 0
    for m in re.finditer(r"test result: \w+\. (\d+) passed; (\d+) failed; (\d+) ignored", text):
        passed += int(m[1]); failed += int(m[2]); skipped += int(m[3])
    return passed, failed, skipped


cargo_log = reports / "cargo.txt"
suites = {
    "cargo": cargo_counts(cargo_log.read_text()) if cargo_log.exists() else (0, 0, 0),
    "junit": junit_counts(sorted(root.glob("*/target/surefire-reports/TEST-*.xml"))),
    "pytest": junit_counts([reports / "pytest.xml"] if (reports / "pytest.xml").exists() else []),
    "bench": junit_counts([reports / "bench-check.xml"] if (reports / "bench-check.xml").exists() else []),
}
for name, (p, f, s) in suites.items():
    print(f"  {name:7s} {p:5d} passed {f:4d} failed {s:4d} skipped")
p, f, s = (sum(c[i] for c in suites.values()) for i in range(3))
print(f"{p} passed, {f} failed, {s} skipped")
sys.exit(1 if f or p == 0 else 0)
