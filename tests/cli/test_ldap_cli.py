"""create-cluster with AccountType ldap joining a directory: the bind password comes from a file
(or standard input), never from a flag's value, and never shows in the output or the state."""
import json

import yaml

from tests.unit.test_ldap import JOIN

from .test_cli import run


def _files(tmp_path):
    spec = tmp_path / "c.yaml"
    spec.write_text(yaml.safe_dump({"Name": "lj", "DeployMode": "Tiny", "AccountType": "ldap",
                                    "OpenldapPar": {k: v for k, v in JOIN.items() if k != "BindPassword"}}))
    pw = tmp_path / "bind.pw"
    pw.write_text(JOIN["BindPassword"] + "\n")
    return spec, pw


def test_bind_password_from_a_file(ehpc, conf, tmp_path):
    spec, pw = _files(tmp_path)
    r = run(ehpc, "create-cluster", "--file", str(spec), "--ldap-bind-password-file", str(pw))
    assert r.exit_code == 0, r.output
    assert JOIN["BindPassword"] not in r.output
    cid = json.loads(r.stdout)["ClusterId"]
    assert conf.calls[-1]["account_vars"]["ehpc_ldap_bind_password"] == JOIN["BindPassword"]
    assert ehpc.account_secrets.get(cid) == {"ldap_bind_password": JOIN["BindPassword"]}
    described = run(ehpc, "describe-cluster", "--cluster-id", cid)
    assert described.exit_code == 0 and JOIN["BindPassword"] not in described.stdout
    stored = ehpc.state.get_cluster(cid).spec["OpenldapPar"]
    assert stored["BindDn"] == JOIN["BindDn"] and "BindPassword" not in stored


def test_bind_password_from_stdin_and_missing(ehpc, conf, tmp_path):
    spec, _ = _files(tmp_path)
    r = run(ehpc, "create-cluster", "--file", str(spec), "--ldap-bind-password-file", "-",
            input=JOIN["BindPassword"] + "\n")
    assert r.exit_code == 0, r.output
    r = run(ehpc, "create-cluster", "--file", str(spec))
    assert r.exit_code != 0 and "OpenldapPar.BindPassword" in r.output
