"""AccountType ldap without machines: OpenldapPar checks, the plan, the back end's variables and
per-cluster CA, the encrypted account secrets, and the facade with a fake engine and Ansible."""
import datetime as dt
import json
import stat

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ehpc_iac.accounts import get_accounts
from ehpc_iac.errors import InvalidOpt, InvalidParams
from ehpc_iac.ops.secrets import AccountSecrets
from ehpc_iac.plan import plan_cluster
from ehpc_iac.spec import load_cluster_spec
from tests.fakes import conf, ehpc, fake  # noqa: F401  (fixtures)


def _cert_pem(ca: bool) -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "t")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    from cryptography.hazmat.primitives.serialization import Encoding
    return cert.public_bytes(Encoding.PEM).decode()


CA = _cert_pem(True)
JOIN = {"LdapServerIp": "10.0.0.5", "BaseDn": "dc=example,dc=org", "BindDn": "cn=reader,dc=example,dc=org",
        "BindPassword": "R3ader!pw", "CaCert": CA}


def spec(**par):
    return {"Name": "demo", "DeployMode": "Tiny", "AccountType": "ldap", "OpenldapPar": {**JOIN, **par}}


def bad(field, data):
    with pytest.raises(InvalidParams) as ei:
        load_cluster_spec(data)
    assert ei.value.field == field, ei.value.message
    assert field in ei.value.message and ei.value.code == "InvalidParams" and ei.value.http_status == 400
    return ei.value


def test_ldap_is_supported_and_nis_stays_the_default():
    assert load_cluster_spec({"Name": "demo", "AccountType": "ldap"}).OpenldapPar is None
    assert load_cluster_spec({"Name": "demo"}).AccountType == "nis"


def test_openldap_par_is_checked_field_by_field():
    s = load_cluster_spec(spec())
    assert s.OpenldapPar.uri == "ldaps://10.0.0.5"
    assert load_cluster_spec(spec(LdapServerIp=None, Uri="ldap://ldap.example.org:389/")).OpenldapPar.uri == \
        "ldap://ldap.example.org:389"
    bad("OpenldapPar", {**spec(), "AccountType": "nis"})
    bad("OpenldapPar.BaseDn", spec(BaseDn="not a dn"))
    bad("OpenldapPar.BaseDn", {**spec(), "OpenldapPar": {k: v for k, v in JOIN.items() if k != "BaseDn"}})
    bad("OpenldapPar.BindDn", spec(BindDn="cn=x,dc=a,(evil)=1=2"))
    bad("OpenldapPar.LdapServerIp", spec(LdapServerIp="bad host!"))
    bad("OpenldapPar.LdapServerIp", spec(LdapServerIp=None))
    bad("OpenldapPar.LdapServerIp", spec(Uri="ldaps://other"))
    bad("OpenldapPar.Uri", spec(LdapServerIp=None, Uri="http://ldap.example.org"))
    bad("OpenldapPar.Uri", spec(LdapServerIp=None, Uri="ldaps://h:99999"))
    bad("OpenldapPar.BindPassword", spec(BindPassword=None))
    bad("OpenldapPar.BindPassword", spec(BindPassword="line\nbreak"))
    bad("OpenldapPar.BindDn", spec(BindDn=None))
    bad("OpenldapPar.CaCert", spec(CaCert="-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----"))
    e = bad("OpenldapPar.CaCert", spec(CaCert=_cert_pem(False)))
    assert "CA" in e.message
    bad("OpenldapPar.FallbackHomeDir", spec(FallbackHomeDir="/home"))
    # anonymous reads: neither BindDn nor BindPassword
    assert load_cluster_spec(spec(BindDn=None, BindPassword=None)).account_secrets() == {}


def test_flat_form_and_no_secret_in_the_public_spec_or_plan():
    flat = {"Name": "demo", "AccountType": "ldap", **{f"OpenldapPar.{k}": v for k, v in JOIN.items()}}
    s = load_cluster_spec(flat)
    assert s.account_secrets() == {"ldap_bind_password": "R3ader!pw"}
    assert "R3ader!pw" not in json.dumps(s.public_dict())
    assert s.public_dict()["OpenldapPar"]["BindDn"] == JOIN["BindDn"]
    plan = plan_cluster(s, "ehpc-lo-TEST000000", lambda: "i-x")
    assert plan.account_options == {"uri": "ldaps://10.0.0.5", "base_dn": "dc=example,dc=org",
                                    "bind_dn": "cn=reader,dc=example,dc=org", "ca_cert": CA.strip() + "\n"}
    assert "R3ader!pw" not in json.dumps(plan.to_dict())
    assert type(plan).from_dict(json.loads(json.dumps(plan.to_dict()))) == plan


def test_own_directory_gets_a_per_cluster_ca_kept_by_the_control_plane(tmp_path):
    plan = plan_cluster(load_cluster_spec({"Name": "demo", "DeployMode": "Standard", "AccountType": "ldap"}),
                        "ehpc-lo-TEST000000", lambda: "i-x")
    backend = get_accounts("ldap")
    assert backend.read_only_reason(plan) is None
    v = backend.config_vars(plan, tmp_path / "accounts", {})
    assert v["ehpc_ldap"] == {"managed": True, "uri": "ldaps://account0", "base_dn": "dc=ehpc-lo-test000000",
                              "bind_dn": "", "ca_cert": (tmp_path / "accounts" / "ca.crt").read_text()}
    for f in ("ca.key", "server-account0.key"):
        assert stat.S_IMODE((tmp_path / "accounts" / f).stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "accounts").stat().st_mode) == 0o700
    assert "ca.key" not in json.dumps(v) and (tmp_path / "accounts" / "ca.key").read_text() not in json.dumps(v)
    ca = x509.load_pem_x509_certificate(v["ehpc_ldap"]["ca_cert"].encode())
    server = x509.load_pem_x509_certificate(v["ehpc_ldap_server_cert"].encode())
    server.verify_directly_issued_by(ca)
    assert server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.DNSName) == ["account0"]
    # made once: a second run hands out the same certificates (configuration stays idempotent)
    assert backend.config_vars(plan, tmp_path / "accounts", {}) == v
    # a certificate that the CA did not sign is replaced
    (tmp_path / "accounts" / "server-account0.crt").write_text(_cert_pem(False))
    again = backend.config_vars(plan, tmp_path / "accounts", {})
    x509.load_pem_x509_certificate(again["ehpc_ldap_server_cert"].encode()).verify_directly_issued_by(ca)


def test_joined_directory_is_read_only_and_gets_the_bind_password(tmp_path):
    plan = plan_cluster(load_cluster_spec(spec()), "ehpc-lo-TEST000000", lambda: "i-x")
    backend = get_accounts("ldap")
    reason = backend.read_only_reason(plan)
    assert "ldaps://10.0.0.5" in reason and "read-only" in reason
    v = backend.config_vars(plan, tmp_path / "accounts", {"ldap_bind_password": "R3ader!pw"})
    assert v == {"ehpc_ldap": {"managed": False, "uri": "ldaps://10.0.0.5", "base_dn": "dc=example,dc=org",
                               "bind_dn": "cn=reader,dc=example,dc=org", "ca_cert": CA.strip() + "\n"},
                 "ehpc_ldap_bind_password": "R3ader!pw"}
    assert not (tmp_path / "accounts").exists()  # no CA of ours


def test_account_secrets_are_encrypted_at_rest(tmp_path):
    store = AccountSecrets(tmp_path)
    assert store.get("c1") == {}
    store.put("c1", {"ldap_bind_password": "R3ader!pw"})
    f = tmp_path / "clusters" / "c1" / "account-secrets"
    assert stat.S_IMODE(f.stat().st_mode) == 0o600 and b"R3ader!pw" not in f.read_bytes()
    assert AccountSecrets(tmp_path).get("c1") == {"ldap_bind_password": "R3ader!pw"}


def test_facade_keeps_the_bind_password_encrypted_and_refuses_user_changes(ehpc, conf):
    cid = ehpc.create_cluster(spec())["ClusterId"]
    assert conf.calls[-1]["account_vars"]["ehpc_ldap_bind_password"] == "R3ader!pw"
    assert conf.calls[-1]["account_vars"]["ehpc_ldap"]["managed"] is False
    for f in ehpc.state.home.rglob("*"):
        if f.is_file():
            assert b"R3ader!pw" not in f.read_bytes(), f
    with pytest.raises(InvalidOpt) as ei:
        ehpc.add_users({"ClusterId": cid, "User.1.Name": "dave", "User.1.Password": "D4ve!passwd"})
    assert ei.value.field == "ClusterId" and "read-only" in ei.value.message
    ehpc.delete_cluster(ClusterId=cid)
    assert not (ehpc.state.home / "clusters" / cid).exists()


def test_facade_own_directory_users_go_through_users_yml(ehpc, conf):
    cid = ehpc.create_cluster({"Name": "demo", "DeployMode": "Tiny", "AccountType": "ldap"})["ClusterId"]
    ehpc.add_users({"ClusterId": cid, "User.1.Name": "alice", "User.1.Password": "Alic3!pass"})
    call = conf.calls[-1]
    assert call["playbook"] == "users.yml" and [u["name"] for u in call["users"]] == ["alice"]
    assert call["account_vars"]["ehpc_ldap"]["managed"] is True
    assert "PRIVATE KEY" in call["account_vars"]["ehpc_ldap_server_key"]
