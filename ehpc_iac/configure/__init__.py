"""Inventory from engine outputs; ansible-runner over playbooks/ and roles/."""
from .inventory import build_extravars, build_inventory
from ..engines.keys import ensure_cluster_key
from .passwords import sha512_crypt
from .runner import AnsibleConfigurator, ConfigureResult, ansible_dir

__all__ = ["AnsibleConfigurator", "ConfigureResult", "ansible_dir", "build_extravars", "build_inventory",
           "ensure_cluster_key", "sha512_crypt"]
