/**
 * The st2.conf options StackStorm 3.9.0 registers with oslo.config, as data: section -> option -> value type.
 * Used to check `st2.config` passthrough keys against what st2 actually reads and to suggest the nearest
 * known option when a key is misspelt.
 *
 * Generated, not hand-written: the service config modules listed in ST2_OPTIONS_SOURCE.files were read at
 * tag v3.9.0 and parsed with Python's `ast` module. Every `cfg.*Opt(...)` (and the one generic `cfg.Opt` with
 * a `types.Dict` type) that is passed to `register_opts`, `do_register_opts`, `register_cli_opts` or
 * `do_register_cli_opts` was recorded under its `group=` argument, or under `DEFAULT` when it has none.
 * Options are recorded under the key oslo.config looks up in the file (`-` becomes `_`, so the
 * `use-debugger` flag appears as `use_debugger`). Sections and options are sorted alphabetically.
 *
 * Certain: every section other than `DEFAULT`, `api_pecan`, `rbac` and `results_tracker` matches the
 * generated `conf/st2.conf.sample` of the same tag, key for key. Those four are left out of the sample on
 * purpose by its generator, but the services do register them. `timer` and `results_tracker` are deprecated
 * sections that are still registered. Some options are registered but marked for removal
 * (e.g. `content.runners_base_paths`, `database.ssl_keyfile`).
 *
 * Inferred or left out: the `DEFAULT` entries are command-line flags. oslo.config also reads them from the
 * file, but they are rarely set there, and `sensor_ref` and `single_sensor_mode` are only registered by the
 * sensor container. Not included are options registered only by one-off tools (`st2-register-content`'s
 * `[register]` flags, purge and pack scripts), by the test suite (`st2tests`), or by plugins and runners;
 * none of the runners in the tag, the RBAC backend or the LDAP auth backend register extra options
 * (auth backends take their settings through `auth.backend_kwargs`).
 */

/** One oslo.config option type, as st2 registers it. */
export type St2OptionType = 'string' | 'integer' | 'boolean' | 'float' | 'list' | 'dict' | 'port' | 'multistring';

/** Where the list comes from: repository, tag/commit, and the files read. */
export const ST2_OPTIONS_SOURCE: { readonly repository: string; readonly ref: string; readonly files: readonly string[] } = {
  repository: 'https://github.com/StackStorm/st2',
  ref: 'v3.9.0 (15e45d07d1b3a2b5330ef07a47dc258e2d56ded0)',
  files: [
    'st2common/st2common/config.py',
    'st2actions/st2actions/config.py',
    'st2actions/st2actions/notifier/config.py',
    'st2actions/st2actions/scheduler/config.py',
    'st2actions/st2actions/workflows/config.py',
    'st2api/st2api/config.py',
    'st2auth/st2auth/config.py',
    'st2reactor/st2reactor/garbage_collector/config.py',
    'st2reactor/st2reactor/rules/config.py',
    'st2reactor/st2reactor/sensor/config.py',
    'st2reactor/st2reactor/timer/config.py',
    'st2stream/st2stream/config.py',
    'tools/config_gen.py',
    'conf/st2.conf.sample',
  ],
};

/** section -> option -> type, every option StackStorm 3.9.0 registers (31 sections, 180 options). */
export const ST2_OPTIONS: Readonly<Record<string, Readonly<Record<string, St2OptionType>>>> = {
  DEFAULT: {
    debug: 'boolean',
    enable_eventlet_blocking_detection: 'boolean',
    enable_profiler: 'boolean',
    eventlet_blocking_detection_resolution: 'float',
    profile: 'boolean',
    sensor_ref: 'string',
    single_sensor_mode: 'boolean',
    use_debugger: 'boolean',
  },
  action_sensor: {
    emit_when: 'list',
    enable: 'boolean',
  },
  actionrunner: {
    actions_pool_size: 'integer',
    exit_still_active_check: 'integer',
    graceful_shutdown: 'boolean',
    logging: 'string',
    pip_opts: 'list',
    python_binary: 'string',
    python_runner_log_level: 'string',
    still_active_check_interval: 'integer',
    stream_output: 'boolean',
    stream_output_buffer_size: 'integer',
    virtualenv_binary: 'string',
    virtualenv_opts: 'list',
    workflows_pool_size: 'integer',
  },
  api: {
    allow_origin: 'list',
    auth_cookie_same_site: 'string',
    auth_cookie_secure: 'boolean',
    debug: 'boolean',
    host: 'string',
    logging: 'string',
    mask_secrets: 'boolean',
    max_page_size: 'integer',
    port: 'integer',
  },
  api_pecan: {
    auth_enable: 'boolean',
    debug: 'boolean',
    errors: 'dict',
    modules: 'list',
    root: 'string',
    static_root: 'string',
    template_path: 'string',
  },
  auth: {
    api_url: 'string',
    backend: 'string',
    backend_kwargs: 'string',
    cert: 'string',
    debug: 'boolean',
    enable: 'boolean',
    host: 'string',
    key: 'string',
    logging: 'string',
    mode: 'string',
    port: 'integer',
    service_token_ttl: 'integer',
    sso: 'boolean',
    sso_backend: 'string',
    sso_backend_kwargs: 'string',
    token_ttl: 'integer',
    use_ssl: 'boolean',
  },
  content: {
    index_url: 'list',
    pack_group: 'string',
    packs_base_paths: 'string',
    runners_base_paths: 'string',
    system_packs_base_path: 'string',
    system_runners_base_path: 'string',
  },
  coordination: {
    lock_timeout: 'integer',
    service_registry: 'boolean',
    url: 'string',
  },
  database: {
    authentication_mechanism: 'string',
    compressors: 'string',
    connection_retry_backoff_max_s: 'integer',
    connection_retry_backoff_mul: 'integer',
    connection_retry_max_delay_m: 'integer',
    connection_timeout: 'integer',
    db_name: 'string',
    host: 'string',
    password: 'string',
    port: 'integer',
    ssl_cert_reqs: 'string',
    ssl_certfile: 'string',
    ssl_keyfile: 'string',
    ssl_match_hostname: 'boolean',
    tls: 'boolean',
    tls_allow_invalid_certificates: 'boolean',
    tls_allow_invalid_hostnames: 'boolean',
    tls_ca_file: 'string',
    tls_certificate_key_file: 'string',
    tls_certificate_key_file_password: 'string',
    username: 'string',
    zlib_compression_level: 'integer',
  },
  garbagecollector: {
    action_executions_output_ttl: 'integer',
    action_executions_ttl: 'integer',
    collection_interval: 'integer',
    logging: 'string',
    purge_inquiries: 'boolean',
    rule_enforcements_ttl: 'integer',
    sleep_delay: 'float',
    task_executions_ttl: 'integer',
    tokens_ttl: 'integer',
    traces_ttl: 'integer',
    trigger_instances_ttl: 'integer',
    workflow_executions_ttl: 'integer',
  },
  keyvalue: {
    enable_encryption: 'boolean',
    encryption_key_path: 'string',
  },
  log: {
    excludes: 'list',
    mask_secrets: 'boolean',
    mask_secrets_blacklist: 'list',
    redirect_stderr: 'boolean',
  },
  messaging: {
    cluster_urls: 'list',
    compression: 'string',
    connection_retries: 'integer',
    connection_retry_wait: 'integer',
    login_method: 'string',
    prefix: 'string',
    ssl: 'boolean',
    ssl_ca_certs: 'string',
    ssl_cert_reqs: 'string',
    ssl_certfile: 'string',
    ssl_keyfile: 'string',
    url: 'string',
  },
  metrics: {
    driver: 'string',
    host: 'string',
    port: 'integer',
    prefix: 'string',
    sample_rate: 'float',
  },
  notifier: {
    logging: 'string',
  },
  packs: {
    enable_common_libs: 'boolean',
  },
  rbac: {
    backend: 'string',
    enable: 'boolean',
    permission_isolation: 'boolean',
    sync_remote_groups: 'boolean',
  },
  results_tracker: {
    query_interval: 'float',
    thread_pool_size: 'integer',
  },
  rulesengine: {
    logging: 'string',
  },
  scheduler: {
    execution_scheduling_timeout_threshold_min: 'float',
    gc_interval: 'float',
    logging: 'string',
    pool_size: 'integer',
    retry_max_attempt: 'integer',
    retry_wait_msec: 'integer',
    sleep_interval: 'float',
  },
  schema: {
    draft: 'string',
    version: 'integer',
  },
  sensorcontainer: {
    logging: 'string',
    partition_provider: 'dict',
    sensor_node_name: 'string',
    single_sensor_mode: 'boolean',
  },
  ssh_runner: {
    allow_partial_failure: 'boolean',
    max_parallel_actions: 'integer',
    remote_dir: 'string',
    ssh_config_file_path: 'string',
    ssh_connect_timeout: 'integer',
    use_ssh_config: 'boolean',
  },
  stream: {
    debug: 'boolean',
    heartbeat: 'integer',
    host: 'string',
    logging: 'string',
    port: 'integer',
  },
  syslog: {
    facility: 'string',
    host: 'string',
    port: 'integer',
    protocol: 'string',
  },
  system: {
    base_path: 'string',
    debug: 'boolean',
    validate_output_schema: 'boolean',
    validate_trigger_parameters: 'boolean',
    validate_trigger_payload: 'boolean',
  },
  system_user: {
    ssh_key_file: 'string',
    user: 'string',
  },
  timer: {
    enable: 'boolean',
    local_timezone: 'string',
    logging: 'string',
  },
  timersengine: {
    enable: 'boolean',
    local_timezone: 'string',
    logging: 'string',
  },
  webui: {
    webui_base_url: 'string',
  },
  workflow_engine: {
    exit_still_active_check: 'integer',
    gc_max_idle_sec: 'integer',
    logging: 'string',
    retry_max_jitter_msec: 'float',
    retry_stop_max_msec: 'integer',
    retry_wait_fixed_msec: 'integer',
    still_active_check_interval: 'integer',
  },
};

/**
 * section -> old name -> current option: names oslo.config still accepts in place of a current option.
 * They are aliases, not options, so they are kept out of ST2_OPTIONS.
 */
export const ST2_DEPRECATED_ALIASES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  database: {
    ssl: 'tls',
    ssl_ca_certs: 'tls_ca_file',
  },
};
