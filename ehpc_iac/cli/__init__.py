"""The `ehpc-iac` command line: a thin front end over ehpc_iac.ops."""
