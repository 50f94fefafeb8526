"""`ehpc-iac access-key ...` and `ehpc-iac serve` (a real server process, HTTP and HTTPS)."""
import datetime
import ipaddress
import json
import os
import signal
import socket
import ssl
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from ehpc_iac.cli.main import cli
from tests.api.sdk2018 import call, client, signed_get


def run(home, *args):
    return CliRunner().invoke(cli, ["--home", str(home), "-q", *args])


def test_access_key_lifecycle_secret_shown_once_and_encrypted(tmp_path):
    r = run(tmp_path, "access-key", "create", "--description", "ci")
    assert r.exit_code == 0, r.output
    key = json.loads(r.stdout)
    assert key["AccessKeyId"].startswith("LTAI") and len(key["AccessKeySecret"]) == 30 and key["Status"] == "Active"
    listed = json.loads(run(tmp_path, "access-key", "list").stdout)["AccessKeys"]["AccessKey"]
    assert [k["AccessKeyId"] for k in listed] == [key["AccessKeyId"]]
    assert key["AccessKeySecret"] not in run(tmp_path, "access-key", "list").stdout
    api_dir = tmp_path / "api"
    for f in api_dir.iterdir():
        assert key["AccessKeySecret"].encode() not in f.read_bytes()
        if f.name in ("api.db", "master.key"):
            assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
    assert run(tmp_path, "access-key", "disable", key["AccessKeyId"]).exit_code == 0
    assert json.loads(run(tmp_path, "access-key", "list").stdout)["AccessKeys"]["AccessKey"][0]["Status"] == "Inactive"
    assert run(tmp_path, "access-key", "enable", key["AccessKeyId"]).exit_code == 0
    assert run(tmp_path, "access-key", "delete", key["AccessKeyId"]).exit_code == 0
    r = run(tmp_path, "access-key", "delete", key["AccessKeyId"])
    assert r.exit_code == 3 and "ObjectNotFound" in r.output


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_serve(home: Path, *extra: str):
    port = free_port()
    cli_path = os.path.join(os.path.dirname(sys.executable), "ehpc-iac")
    p = subprocess.Popen([cli_path, "--home", str(home), "serve", "--port", str(port), *extra],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return p, port
        except OSError:
            assert p.poll() is None and time.monotonic() < deadline, p.stdout.read() if p.poll() is not None else ""
            time.sleep(0.1)


def stop(p) -> str:
    p.send_signal(signal.SIGTERM)
    out, _ = p.communicate(timeout=30)
    assert p.returncode in (0, -signal.SIGTERM), out   # uvicorn re-raises the signal after a clean shutdown
    assert "Finished server process" in out
    return out


def test_serve_answers_the_sdk_and_keeps_query_strings_out_of_its_log(tmp_path):
    key = json.loads(run(tmp_path, "access-key", "create").stdout)
    p, port = start_serve(tmp_path)
    try:
        acs = client(f"127.0.0.1:{port}", key)
        assert call(acs, "ListClusters")["TotalCount"] == 0
        url, _ = signed_get(f"http://127.0.0.1:{port}", key, {"Action": "AddUsers", "ClusterId": "ehpc-lo-x",
                                                              "User.1.Name": "u", "User.1.Password": "Pw!Secret77"})
        assert httpx.get(url).json()["Code"] in ("ClusterNotFound", "InvalidParams")
        assert httpx.get(f"http://127.0.0.1:{port}/api/openapi.json").status_code == 200
    finally:
        out = stop(p)
    assert "action=ListClusters status=200" in out and "action=AddUsers status=4" in out
    assert "Pw!Secret77" not in out and key["AccessKeySecret"] not in out


def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    k = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(k.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .sign(k, hashes.SHA256()))
    cert_f, key_f = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_f.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_f.write_bytes(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
    return cert_f, key_f


def test_serve_over_tls(tmp_path):
    cert, key_file = self_signed(tmp_path)
    key = json.loads(run(tmp_path, "access-key", "create").stdout)
    p, port = start_serve(tmp_path, "--tls-cert", str(cert), "--tls-key", str(key_file))
    try:
        url, _ = signed_get(f"https://127.0.0.1:{port}", key, {"Action": "ListClusters"})
        r = httpx.get(url, verify=ssl.create_default_context(cafile=str(cert)))
        assert r.status_code == 200 and r.json()["TotalCount"] == 0
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
    finally:
        stop(p)


def test_serve_refuses_half_a_tls_pair(tmp_path):
    cert, _ = self_signed(tmp_path)
    r = run(tmp_path, "serve", "--tls-cert", str(cert))
    assert r.exit_code == 2 and "--tls-key" in r.output
