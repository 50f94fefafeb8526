"""Every table the operations layer keeps, in one place.

``STATE_SCHEMA`` is ``$EHPC_IAC_HOME/state.db`` (created by ``StateStore``): clusters, their
operation logs and users, nodes in transition, AddNodes tokens, jobs, job templates, DAG jobs,
shell commands, auto scaling (settings per cluster, nodes being shrunk, the one scaler's lease).
``REST_JOBS_SCHEMA`` is the REST job API's table in ``$EHPC_IAC_HOME/api/api.db``,
beside the access keys (api/keys.py). Every statement is idempotent (IF NOT EXISTS).
"""

STATE_SCHEMA = """
CREATE TABLE IF NOT EXISTS clusters (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    status_reason TEXT NOT NULL DEFAULT '',
    engine TEXT NOT NULL DEFAULT 'docker',
    spec_json TEXT NOT NULL,
    plan_json TEXT NOT NULL,
    root_password_hash TEXT NOT NULL DEFAULT '',
    client_token TEXT UNIQUE,
    create_time TEXT NOT NULL,
    update_time TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS logs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    cluster_id TEXT NOT NULL,
    request_id TEXT NOT NULL,
    operation TEXT NOT NULL,
    level TEXT NOT NULL,
    message TEXT NOT NULL,
    create_time TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS logs_cluster ON logs(cluster_id, seq);
CREATE TABLE IF NOT EXISTS users (
    cluster_id TEXT NOT NULL,
    name TEXT NOT NULL,
    uid INTEGER NOT NULL,
    grp TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    add_time TEXT NOT NULL,
    PRIMARY KEY (cluster_id, name)
);
CREATE TABLE IF NOT EXISTS user_uid_marks (cluster_id TEXT PRIMARY KEY, last_uid INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS node_status (
    cluster_id TEXT NOT NULL,
    hostname TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    update_time TEXT NOT NULL,
    PRIMARY KEY (cluster_id, hostname)
);
CREATE TABLE IF NOT EXISTS add_nodes_tokens (
    cluster_id TEXT NOT NULL,
    token TEXT NOT NULL,
    instance_ids TEXT NOT NULL,
    task_id TEXT NOT NULL,
    PRIMARY KEY (cluster_id, token)
);
CREATE TABLE IF NOT EXISTS commands (
    id TEXT PRIMARY KEY,
    cluster_id TEXT NOT NULL,
    request_id TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'shell',
    content TEXT NOT NULL,
    working_dir TEXT NOT NULL,
    timeout INTEGER NOT NULL,
    runner_pid INTEGER NOT NULL,
    create_time TEXT NOT NULL,
    started REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS commands_cluster ON commands(cluster_id, started);
CREATE TABLE IF NOT EXISTS command_results (
    command_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    instance_id TEXT NOT NULL,
    hostname TEXT NOT NULL,
    status TEXT NOT NULL,
    exit_code INTEGER,
    output TEXT NOT NULL DEFAULT '',
    error TEXT NOT NULL DEFAULT '',
    finished_time TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (command_id, instance_id)
);
CREATE TABLE IF NOT EXISTS dag_jobs (
    cluster_id TEXT NOT NULL, id TEXT NOT NULL, name TEXT, description TEXT, owner TEXT,
    priority INTEGER, fail_on_instance_fail INTEGER, state TEXT, stopped INTEGER NOT NULL DEFAULT 0,
    request_json TEXT, create_time TEXT, start_time TEXT, end_time TEXT, last_modify_time TEXT,
    PRIMARY KEY (cluster_id, id));
CREATE TABLE IF NOT EXISTS dag_tasks (
    cluster_id TEXT NOT NULL, job_id TEXT NOT NULL, name TEXT NOT NULL, position INTEGER,
    slurm_id TEXT, instance_count INTEGER, max_retry INTEGER, timeout INTEGER, sources TEXT,
    state TEXT, raw_state TEXT, reason TEXT, start_time TEXT, end_time TEXT,
    PRIMARY KEY (cluster_id, job_id, name));
CREATE TABLE IF NOT EXISTS job_templates (
    cluster_id TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, fields TEXT NOT NULL,
    create_time TEXT, modify_time TEXT, PRIMARY KEY (cluster_id, id));
CREATE TABLE IF NOT EXISTS jobs (
    cluster_id TEXT NOT NULL, id TEXT NOT NULL, name TEXT, owner TEXT, queue TEXT,
    stdout TEXT, stderr TEXT, workdir TEXT, array_request TEXT, priority INTEGER,
    rerunable INTEGER, submit_time TEXT, state TEXT, raw_state TEXT, node_list TEXT,
    start_time TEXT, end_time TEXT, nodes INTEGER, cores INTEGER, last_modify_time TEXT,
    deleted INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (cluster_id, id));
CREATE TABLE IF NOT EXISTS autoscale_config (
    cluster_id TEXT PRIMARY KEY, config_json TEXT NOT NULL, update_time TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS autoscale_shrinking (
    cluster_id TEXT NOT NULL, hostname TEXT NOT NULL, since TEXT NOT NULL,
    PRIMARY KEY (cluster_id, hostname));
CREATE TABLE IF NOT EXISTS autoscale_lease (
    name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires REAL NOT NULL);
"""

REST_JOBS_SCHEMA = """
CREATE TABLE IF NOT EXISTS rest_jobs (
    tenant TEXT NOT NULL,
    submission_id TEXT NOT NULL,
    cluster_id TEXT NOT NULL,
    job_queue TEXT,
    runas_user TEXT NOT NULL,
    job_id TEXT,
    access_key_id TEXT NOT NULL DEFAULT '',
    request TEXT NOT NULL,
    status TEXT NOT NULL,
    message TEXT NOT NULL DEFAULT '',
    scheduler_state TEXT NOT NULL DEFAULT '',
    scheduler_start_time TEXT NOT NULL DEFAULT '',
    scheduler_end_time TEXT NOT NULL DEFAULT '',
    start_time INTEGER NOT NULL,
    end_time INTEGER,
    PRIMARY KEY (tenant, submission_id)
);
"""
