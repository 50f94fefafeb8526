"""Imports every module that adds verbs to `ehpc-iac` (each defines commands on ``main.cli``)."""
