"""A cluster joined to an existing LDAP directory (AccountType ldap with OpenldapPar): the test
starts the directory itself (slapd in a container of the node image, on the host's network,
listening with TLS on the Docker bridge's gateway address, which the cluster's nodes reach), with
a user and a read-only bind DN already in it. That user logs in and runs a job; user operations
are refused; the bind password is never stored or logged in clear text."""
import datetime as dt
import ipaddress
import json
import socket
import stat
import subprocess
import tempfile
from pathlib import Path

import docker as docker_sdk
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ehpc_iac.configure import sha512_crypt
from ehpc_iac.engines.image import ensure_node_image
from ehpc_iac.errors import InvalidOpt

from .conftest import dexec, docker
from .test_ldap import NIS_DAEMONS
from .test_users import refused, sh, ssh

BASE = "dc=example,dc=org"
READER_DN, READER_PW = f"cn=reader,{BASE}", "R3ader!bind-pw"
CAROL_PW = "C4rol!ldap-pw"
LABEL = "ehpc.test=ldap-join"


def _cert(subject: str, issuer_key, issuer_name, public_key, *, ca: bool, ip: str = ""):
    now = dt.datetime.now(dt.timezone.utc)
    b = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
         .issuer_name(issuer_name).public_key(public_key).serial_number(x509.random_serial_number())
         .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ip:
        b = b.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]), critical=False)
    return b.sign(issuer_key, hashes.SHA256())


def _pem(obj) -> bytes:
    if hasattr(obj, "private_bytes"):
        return obj.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())
    return obj.public_bytes(serialization.Encoding.PEM)


SLAPD_CONF = f"""include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/nis.schema
include /etc/ldap/schema/inetorgperson.schema
pidfile /run/slapd/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
TLSCACertificateFile /etc/ldap/site/ca.crt
TLSCertificateFile /etc/ldap/site/server.crt
TLSCertificateKeyFile /etc/ldap/site/server.key
database mdb
suffix "{BASE}"
rootdn "gidNumber=0+uidNumber=0,cn=peercred,cn=external,cn=auth"
directory /var/lib/site-ldap
access to attrs=userPassword by anonymous auth by * none
access to * by dn.exact="{READER_DN}" read by users read by anonymous auth by * none
"""


def _ldif() -> str:
    return f"""dn: {BASE}
objectClass: dcObject
objectClass: organization
dc: example
o: example

dn: ou=people,{BASE}
objectClass: organizationalUnit
ou: people

dn: {READER_DN}
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: reader
userPassword: {{CRYPT}}{sha512_crypt(READER_PW)}

dn: uid=carol,ou=people,{BASE}
objectClass: account
objectClass: posixAccount
uid: carol
cn: carol
uidNumber: 5001
gidNumber: 100
homeDirectory: /home/carol
loginShell: /bin/bash
userPassword: {{CRYPT}}{sha512_crypt(CAROL_PW)}
"""


def _bridge_gateway() -> str:
    """The host's address on Docker's default bridge (docker0): reachable from every cluster network."""
    cfg = json.loads(docker("network", "inspect", "bridge", "-f", "{{json .IPAM.Config}}"))[0]
    return cfg.get("Gateway") or str(next(ipaddress.ip_network(cfg["Subnet"]).hosts()))


@pytest.fixture(scope="module")
def site_directory():
    """The site's slapd: ldaps on the Docker bridge gateway, a free port; yields (uri, ca_pem, name)."""
    gateway = _bridge_gateway()
    with socket.socket() as s:
        s.bind((gateway, 0))
        port = s.getsockname()[1]
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _cert("site CA", ca_key, x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "site CA")]),
               ca_key.public_key(), ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _cert(gateway, ca_key, ca.subject, key.public_key(), ca=False, ip=gateway)
    image = ensure_node_image(docker_sdk.from_env(), "Debian_12_64")
    name = f"ehpc-test-site-ldap-{port}"
    urls = f"ldaps://{gateway}:{port}/ ldapi:///"
    docker("create", "--name", name, "--label", LABEL, "--network", "host", "--entrypoint", "sh", image, "-c",
           "install -d -o openldap -g openldap /run/slapd /var/lib/site-ldap && chown -R openldap /etc/ldap/site"
           f" && exec /usr/sbin/slapd -d stats -u openldap -g openldap -f /etc/ldap/site/slapd.conf -h '{urls}'")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            d = Path(tmp) / "site"
            d.mkdir()
            for fname, data in (("ca.crt", _pem(ca)), ("server.crt", _pem(cert)), ("server.key", _pem(key)),
                                ("slapd.conf", SLAPD_CONF.encode())):
                (d / fname).write_bytes(data)
            docker("cp", str(d), f"{name}:/etc/ldap/site")
        docker("start", name)
        for _ in range(50):
            p = subprocess.run(["docker", "exec", "-i", name, "ldapadd", "-Q", "-Y", "EXTERNAL", "-H", "ldapi:///"],
                               input=_ldif(), capture_output=True, text=True, timeout=30)
            if p.returncode == 0:
                break
            subprocess.run(["sleep", "0.2"])
        assert p.returncode == 0, p.stderr
        yield f"ldaps://{gateway}:{port}", _pem(ca).decode(), name
    finally:
        docker("rm", "-f", name, check=False)


@pytest.fixture(scope="module")
def cluster(ehpc, site_directory):
    uri, ca_pem, _ = site_directory
    spec = {"Name": "e2e-ldap-join", "DeployMode": "Tiny", "AccountType": "ldap",
            "EcsOrder": {"Compute": {"Count": 1}},
            "OpenldapPar": {"Uri": uri, "BaseDn": BASE, "BindDn": READER_DN, "BindPassword": READER_PW,
                            "CaCert": ca_pem}}
    cid = ehpc.create_cluster(spec)["ClusterId"]
    yield cid
    if ehpc.state.get_cluster(cid):
        ehpc.delete_cluster(ClusterId=cid)


def test_directory_users_log_in_and_run_a_job(ehpc, cluster):
    compute = ehpc.engine("docker").inspect(ehpc.state.get_cluster(cluster).plan)["compute0"].address
    c = ssh(compute, "carol", CAROL_PW)
    try:
        rc, out, err = sh(c, "id -u; pwd; srun -N1 hostname")
        assert rc == 0 and out.split() == ["5001", "/home/carol", "compute0"], (out, err)  # home made at login
    finally:
        c.close()
    assert refused(compute, "carol", "Wr0ng!password")
    for host in ("manager0", "compute0"):
        procs = dexec(f"{cluster}-{host}", "ps", "-eo", "comm=").split()
        assert "nslcd" in procs and "slapd" not in procs and not set(NIS_DAEMONS) & set(procs), (host, procs)


def test_user_operations_are_refused_on_a_joined_directory(ehpc, cluster):
    with pytest.raises(InvalidOpt) as ei:
        ehpc.add_users({"ClusterId": cluster, "User.1.Name": "dave", "User.1.Password": "D4ve!passwd"})
    assert ei.value.field == "ClusterId" and "read-only" in ei.value.message and BASE in ei.value.message
    with pytest.raises(InvalidOpt):
        ehpc.delete_users(ClusterId=cluster, User=[{"Name": "carol"}])
    assert ehpc.list_users(ClusterId=cluster)["TotalCount"] == 0


def test_bind_password_is_never_in_clear_text(ehpc, cluster, site_directory):
    home = ehpc.state.home
    for pw in (READER_PW, CAROL_PW):
        grep = subprocess.run(["grep", "-rlaF", pw, str(home)], capture_output=True, text=True)
        assert grep.returncode == 1, f"clear password found in {grep.stdout}"
        assert pw not in docker("logs", site_directory[2])
    secrets = ehpc.state.cluster_dir(cluster) / "account-secrets"
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    described = str(ehpc.describe_cluster(ClusterId=cluster))
    assert "BindPassword" not in described and READER_PW not in described
    # nslcd needs it: only root and nslcd can read its configuration
    assert dexec(f"{cluster}-compute0", "stat", "-c", "%a %U %G", "/etc/nslcd.conf").split() == ["640", "root",
                                                                                                "nslcd"]
