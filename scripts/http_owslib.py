"""Drives the HTTP front as a catalogue client does, with OWSLib (a real OGC API - Processes
client): list and describe the processes, execute a DSM asynchronously, poll its job, read its
results, see an invalid request refused with an OGC exception, dismiss the finished job (then
a 404). Usage: http_owslib.py URL TOKEN. Exits non-zero on any deviation."""
import sys
import time

from owslib.ogcapi.processes import Processes


def main(url, token):
    p = Processes(url, headers={"Authorization": f"Bearer {token}"})
    ids = [x["id"] for x in p.processes()]
    assert "dsm" in ids, ids
    assert "inputs" in p.process("dsm")
    inputs = {"pair": "synthetic-pair", "height": 340, "heightMargin": 40, "roi": [64, 64, 128, 128]}
    status = p.execute("dsm", inputs, outputs={"dsm": {"transmissionMode": "reference"}}, async_=True)
    assert p.response_headers.get("Preference-Applied") == "respond-async", dict(p.response_headers)
    job = status["jobID"]
    deadline = time.time() + 300
    while True:
        status = p._request(path=f"jobs/{job}")
        if status["status"] in ("successful", "failed", "dismissed") or time.time() > deadline:
            break
        time.sleep(0.5)
    assert status["status"] == "successful", status
    results = p._request(path=f"jobs/{job}/results")
    assert results["dsm"]["href"].endswith(f"/jobs/{job}/files/dsm.tif"), results
    try:
        p.execute("dsm", {**inputs, "height": True}, async_=True)
        sys.exit("OWSLib: a boolean height was accepted")
    except RuntimeError as e:
        assert "must be a number" in str(e), e
    dismissed = p._request(method="DELETE", path=f"jobs/{job}")
    assert dismissed["status"] == "dismissed", dismissed
    try:
        p._request(path=f"jobs/{job}")
        sys.exit("OWSLib: a dismissed job is still visible")
    except RuntimeError as e:
        assert "no-such-job" in str(e), e
    print(f"OWSLib: execute (async), poll, results and dismiss of job {job}: OK")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
