/**
 * lib/st2/scripts/smoke-test.sh against stand-ins: a fake `st2` CLI and a fake Python for the
 * HTTP probes, steered by FAKE_FAIL (comma-separated faults) and FAKE_LOGIN_FAILS_FIRST. Every
 * check gets at least one fault that fails exactly that check, so each assertion is shown to
 * bite. One test runs the real probe code (python3) against a local HTTP server.
 */
import { spawn, spawnSync, ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { interpreters } from '../support/python';

const SCRIPT = path.join(__dirname, '../../lib/st2/scripts/smoke-test.sh');
const TOKEN = '0123456789abcdef0123456789abcdef';

const FAKE_ST2 = `#!/usr/bin/env bash
fail() { [[ ",\${FAKE_FAIL:-}," == *",$1,"* ]]; }
state=\${FAKE_STATE:?}
echo "$*" >>"$state/calls"
if [ "$*" = --version ]; then
  if fail version; then echo "st2 3.8.1, on Python 3.10.12"; else echo "st2 3.9.0, on Python 3.10.12"; fi
  exit 0
fi
if [ "$1" = auth ]; then
  n=$(( $(cat "$state/logins" 2>/dev/null || echo 0) + 1 )); echo "$n" >"$state/logins"
  if [ "\${FAKE_LOGIN_FAILS_FIRST:-0}" = always ] || [ "$n" -le "\${FAKE_LOGIN_FAILS_FIRST:-0}" ]; then
    echo "ERROR: HTTPConnectionPool(host='st2auth', port=9100): Max retries exceeded (Connection refused)"; exit 1
  fi
  [ "$*" = "auth st2admin --password=s3cret -t" ] || { echo "ERROR: Invalid or missing credentials"; exit 1; }
  echo ${TOKEN}; exit 0
fi
[ "\${ST2_AUTH_TOKEN:-}" = ${TOKEN} ] || { echo "ERROR: 401 Client Error: Unauthorized"; exit 1; }
kv="$state/kv"; mkdir -p "$kv"
case "$1 $2" in
  "action list")
    [ "$3" = --pack=core ] || exit 99
    fail core-actions-error && { echo "ERROR: 500 Server Error"; exit 1; }
    lists=$(( $(cat "$state/lists" 2>/dev/null || echo 0) + 1 )); echo "$lists" >"$state/lists"
    echo "| ref             | pack | description |"
    registered=yes; [ "$lists" -le "\${FAKE_CORE_APPEARS_AFTER:-0}" ] && registered=no
    fail core-actions || [ $registered = no ] || echo "| core.local      | core | Action that executes an arbitrary Linux command on the localhost. |"
    echo "| core.local_sudo | core | Action that executes an arbitrary Linux command on the localhost. |"
    echo "| core.remote     | core | Action to execute arbitrary linux command remotely. |";;
  "run -j")
    if [ "$3 $4" = "core.local cmd=stat -c '%U %a %n' /home/stanley/.ssh /home/stanley/.ssh/stanley_rsa" ]; then
      listing='stanley 500 /home/stanley/.ssh\\nstanley 400 /home/stanley/.ssh/stanley_rsa'
      fail ssh-key-root && listing='root 700 /home/stanley/.ssh\\nroot 400 /home/stanley/.ssh/stanley_rsa'
      fail ssh-key-missing && { printf '{\n    "result": {\n        "stderr": "stat: cannot stat",\n        "stdout": ""\n    },\n    "status": "failed"\n}\n'; exit 1; }
      printf '{\n    "result": {\n        "stdout": "%s"\n    },\n    "status": "succeeded"\n}\n' "$listing"
      exit 0
    fi
    [ "$3 $4" = "core.local cmd=id" ] || exit 99
    fail run-error && { echo "ERROR: 503 Server Error: Service Unavailable"; exit 1; }
    status=succeeded; code=0; user="uid=1000(stanley) gid=1000(stanley) groups=1000(stanley)"
    fail run-failed && { status=failed; code=1; }
    fail run-timeout && status=timeout
    fail id-user && user="uid=0(root) gid=0(root) groups=0(root)"
    printf '{\\n    "id": "65f0",\\n    "parameters": {\\n        "cmd": "id"\\n    },\\n    "result": {\\n        "return_code": %s,\\n        "stderr": "",\\n        "stdout": "%s",\\n        "succeeded": true\\n    },\\n    "status": "%s"\\n}\\n' "$code" "$user" "$status"
    exit "$code";;
  "key set")
    fail kv-set && { echo "ERROR: 500 Server Error"; exit 1; }
    printf '%s' "$4" >"$kv/$3"; echo "| name | $3 |";;
  "key get")
    [ -f "$kv/$3" ] || { echo "KeyValuePair \\"$3\\" is not found."; exit 2; }
    value=$(cat "$kv/$3"); fail kv-get && value=stale
    printf '{\\n    "name": "%s",\\n    "value": "%s"\\n}\\n' "$3" "$value";;
  "key delete")
    fail kv-delete && { echo "ERROR: 500 Server Error"; exit 1; }
    fail kv-delete-noop || rm -f "$kv/$3"
    echo "Resource with id \\"$3\\" has been successfully deleted.";;
  "rule get")
    [ "$3 $4" = "chatops.notify -j" ] || exit 99
    fail chatops-rule && { echo 'Rule "chatops.notify" is not found.'; exit 2; }
    printf '{\\n    "enabled": true,\\n    "ref": "chatops.notify"\\n}\\n';;
  "whoami ")
    if fail rbac-disabled; then enabled=False; else enabled=True; fi
    printf 'Currently logged in as "st2admin".\\n\\nRBAC:\\n - Enabled: %s\\n - Roles: system_admin\\n' "$enabled";;
  "role list")
    fail rbac-roles-error && { echo "ERROR: 404 Client Error: Not Found"; exit 1; }
    echo "| name     | description |"
    fail rbac-no-system-admin || echo "| system_admin | Role with all the permissions. |"
    echo "| system_admin_readonly | Not a system role. |";;
  *) echo "fake st2: unexpected command: $*"; exit 99;;
esac
`;

// Called as: python -c CODE METHOD URL LIMIT, like the script's probe().
const FAKE_PYTHON = `#!/usr/bin/env bash
fail() { [[ ",\${FAKE_FAIL:-}," == *",$1,"* ]]; }
echo "python $3 $4 $5" >>"\${FAKE_STATE:?}/calls"
[ "$1" = -c ] || exit 99
method=$3 url=$4 limit=$5
down() { echo "no answer from $url: <urlopen error [Errno 111] Connection refused>" >&2; exit 1; }
answer() { printf '%s\\n%s\\n%s' "$1" "$2" "$3" | head -c $(( \${#1} + \${#2} + 2 + limit )); exit 0; }
[ "\${ST2_AUTH_TOKEN:-}" = ${TOKEN} ] || answer 401 application/json '{"faultstring": "Unauthorized"}'
case "$method $url" in
  "GET http://st2api.test:9101/v1")
    fail api-down && down
    fail api-500 && answer 500 application/json '{"faultstring": "Internal Server Error"}'
    version=3.9.0; fail api-version && version=3.8.1
    answer 200 application/json '{"docs_url": "http://docs.stackstorm.com/3.9", "version": "'$version'"}';;
  "POST http://st2auth.test:9100/v1/tokens/validate")
    [ "$(cat)" = '{"token": "${TOKEN}"}' ] || answer 400 application/json '{"faultstring": "bad request"}'
    fail auth-down && down
    fail auth-invalid && answer 200 application/json '{"valid": false}'
    answer 200 application/json '{"valid": true}';;
  "GET http://st2stream.test:9102/v1/stream")
    fail stream-down && down
    fail stream-401 && answer 401 application/json '{"faultstring": "Unauthorized"}'
    fail stream-type && answer 200 application/json '{}'
    answer 200 'text/event-stream; charset=UTF-8' "$(printf '\\nevent: st2.execution__create\\ndata: {}\\n')";;
  *) echo "fake python: unexpected request: $method $url" >&2; exit 99;;
esac
`;

let root: string;
let fakeSt2: string;
let fakePython: string;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'smoke-test-'));
  fakeSt2 = path.join(root, 'st2');
  fakePython = path.join(root, 'python');
  fs.writeFileSync(fakeSt2, FAKE_ST2, { mode: 0o755 });
  fs.writeFileSync(fakePython, FAKE_PYTHON, { mode: 0o755 });
});

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

interface Run {
  status: number | null;
  stdout: string;
  calls: string[];
  seconds: number;
}

/** `bash SCRIPT`, or with `preamble` run first in the same shell (e.g. to unset a bash feature). */
function run(env: Record<string, string> = {}, preamble?: string): Run {
  const state = fs.mkdtempSync(path.join(root, 'run-'));
  const started = Date.now();
  const result = spawnSync('bash', preamble ? ['-c', `${preamble}; . "$0"`, SCRIPT] : [SCRIPT], {
    encoding: 'utf8',
    timeout: 20_000,
    env: {
      PATH: process.env.PATH,
      HOME: state,
      ST2_CLI: fakeSt2,
      SMOKE_PYTHON: fakePython,
      ST2_API_URL: 'http://st2api.test:9101/',
      ST2_AUTH_URL: 'http://st2auth.test:9100/',
      ST2_STREAM_URL: 'http://st2stream.test:9102/',
      ST2_AUTH_USERNAME: 'st2admin',
      ST2_AUTH_PASSWORD: 's3cret',
      SMOKE_EXPECT_VERSION: '3.9.0',
      SMOKE_RETRY_SECONDS: '0.1',
      SMOKE_WAIT_SECONDS: '2',
      FAKE_STATE: state,
      ...env,
    },
  });
  if (result.error) throw result.error;
  const callsFile = path.join(state, 'calls');
  const calls = fs.existsSync(callsFile) ? fs.readFileSync(callsFile, 'utf8').trim().split('\n') : [];
  return { status: result.status, stdout: result.stdout + result.stderr, calls, seconds: (Date.now() - started) / 1000 };
}

const notOk = (out: string) => out.split('\n').filter((line) => line.startsWith('not ok - '));

const CHECKS = [
  'st2 login as st2admin',
  'st2 version',
  'st2api answers',
  'st2auth answers',
  'st2stream answers',
  'core actions registered',
  'core.local runs as stanley',
  'ssh key installed for stanley',
  'key-value set/get/delete',
  'chatops rule loaded',
];
const RBAC_CHECKS = ['RBAC enabled', 'RBAC roles listed'];

/** The check names in the order printed. */
const checkNames = (out: string) =>
  out
    .split('\n')
    .filter((line) => /^(not )?ok - /.test(line))
    .map((line) => line.replace(/^(not )?ok - /, '').replace(/ \(.*$|: .*$/, ''));

describe('smoke-test.sh', () => {
  test('happy path: every check passes, in order', () => {
    const result = run();
    expect(notOk(result.stdout)).toEqual([]);
    expect(checkNames(result.stdout)).toEqual(CHECKS);
    expect(result.stdout).toContain('ok - st2 login as st2admin (attempt 1, after 0s)');
    expect(result.stdout).toContain('ok - st2api answers (version 3.9.0)');
    expect(result.stdout.trim().split('\n').pop()).toBe('10 passed, 0 failed');
    expect(result.status).toBe(0);
  });

  test('service URLs ending in /v1 reach the same endpoints', () => {
    const result = run({
      ST2_API_URL: 'http://st2api.test:9101/v1',
      ST2_AUTH_URL: 'http://st2auth.test:9100/v1',
      ST2_STREAM_URL: 'http://st2stream.test:9102/v1/',
    });
    expect(result.stdout).toContain('10 passed, 0 failed');
    expect(result.status).toBe(0);
  });

  test('the key-value check uses one unique key throughout and leaves it deleted', () => {
    const keyCalls = run().calls.filter((call) => call.startsWith('key '));
    expect(keyCalls.map((call) => call.split(' ').slice(0, 2).join(' '))).toEqual(['key set', 'key get', 'key delete', 'key get']);
    const keys = new Set(keyCalls.map((call) => call.split(' ')[2]));
    expect(keys.size).toBe(1);
    expect([...keys][0]).toMatch(/^smoke-test-\d+-\d+$/);
  });

  const faults: Array<[fault: string, check: string, reason: string, rbac: boolean]> = [
    ['version', 'st2 version', 'expected 3.9.0', false],
    ['api-down', 'st2api answers', 'no answer from http://st2api.test:9101/v1', false],
    ['api-500', 'st2api answers', 'HTTP 500', false],
    ['api-version', 'st2api answers', 'st2api runs 3.8.1, expected 3.9.0', false],
    ['auth-down', 'st2auth answers', 'no answer from http://st2auth.test:9100/v1/tokens/validate', false],
    ['auth-invalid', 'st2auth answers', 'validating the login token gave HTTP 200', false],
    ['stream-down', 'st2stream answers', 'no answer from http://st2stream.test:9102/v1/stream', false],
    ['stream-401', 'st2stream answers', 'HTTP 401', false],
    ['stream-type', 'st2stream answers', "Content-Type 'application/json'", false],
    ['core-actions', 'core actions registered', 'core.local is not listed', false],
    ['core-actions-error', 'core actions registered', 'st2 action list failed', false],
    ['run-error', 'core.local runs as stanley', 'st2 run failed (exit 1)', false],
    ['run-failed', 'core.local runs as stanley', 'did not succeed: "stderr": "", "status": "failed"', false],
    ['run-timeout', 'core.local runs as stanley', 'did not succeed: "stderr": "", "status": "timeout"', false],
    ['id-user', 'core.local runs as stanley', 'uid=0(root)', false],
    ['ssh-key-root', 'ssh key installed for stanley', 'expected /home/stanley/.ssh stanley-owned 500 and the key 400, got "root 700', false],
    ['ssh-key-missing', 'ssh key installed for stanley', 'stat of /home/stanley/.ssh did not succeed', false],
    ['kv-set', 'key-value set/get/delete', 'set failed', false],
    ['kv-get', 'key-value set/get/delete', 'get did not return the value set', false],
    ['kv-delete', 'key-value set/get/delete', 'delete failed', false],
    ['kv-delete-noop', 'key-value set/get/delete', 'the key is still there after delete', false],
    ['chatops-rule', 'chatops rule loaded', 'Rule "chatops.notify" is not found', false],
    ['rbac-disabled', 'RBAC enabled', 'Enabled: False', true],
    ['rbac-roles-error', 'RBAC roles listed', 'st2 role list failed', true],
    ['rbac-no-system-admin', 'RBAC roles listed', 'system_admin is not listed', true],
  ];

  test.each(faults)('fault %s fails exactly the check "%s" (%s)', (fault, check, reason, rbac) => {
    const result = run({ FAKE_FAIL: fault, SMOKE_RBAC: rbac ? 'true' : 'false' });
    const failures = notOk(result.stdout);
    expect(failures).toHaveLength(1);
    expect(failures[0].startsWith(`not ok - ${check}: `)).toBe(true);
    expect(failures[0]).toContain(reason);
    // Every other check still ran.
    expect(checkNames(result.stdout)).toEqual(rbac ? [...CHECKS, ...RBAC_CHECKS] : CHECKS);
    expect(result.stdout).toContain(rbac ? '11 passed, 1 failed' : '9 passed, 1 failed');
    expect(result.status).not.toBe(0);
  });

  test('waits, within the same deadline, for content the register Job has not registered yet', () => {
    const result = run({ FAKE_CORE_APPEARS_AFTER: '3' });
    expect(result.stdout).toContain('10 passed, 0 failed');
    expect(result.calls.filter((call) => call.startsWith('action list'))).toHaveLength(4);
    const never = run({ FAKE_FAIL: 'core-actions' });
    expect(notOk(never.stdout)).toEqual(['not ok - core actions registered: core.local is not listed (look at the register-content Job), still after 2s']);
  });

  test('every check has a fault that bites', () => {
    expect(new Set(faults.map(([, check]) => check))).toEqual(new Set([...CHECKS.slice(1), ...RBAC_CHECKS]));
  });

  test('faults in several checks are all reported', () => {
    const result = run({ FAKE_FAIL: 'version,stream-down,kv-get' });
    expect(notOk(result.stdout).map((line) => line.split(':')[0])).toEqual([
      'not ok - st2 version',
      'not ok - st2stream answers',
      'not ok - key-value set/get/delete',
    ]);
    expect(result.stdout).toContain('7 passed, 3 failed');
    expect(result.status).toBe(1);
  });

  test('RBAC checks run only when SMOKE_RBAC=true', () => {
    const off = run({ FAKE_FAIL: 'rbac-disabled,rbac-roles-error' });
    expect(off.status).toBe(0);
    expect(off.calls.some((call) => /^(whoami|role)/.test(call))).toBe(false);
    const on = run({ SMOKE_RBAC: 'true' });
    expect(checkNames(on.stdout)).toEqual([...CHECKS, ...RBAC_CHECKS]);
    expect(on.stdout).toContain('12 passed, 0 failed');
    expect(on.status).toBe(0);
  });

  test('the wait still ends on a bash without EPOCHREALTIME (bash 4, the st2 2.x images)', () => {
    const result = run({ FAKE_LOGIN_FAILS_FIRST: 'always', SMOKE_WAIT_SECONDS: '2', SMOKE_RETRY_SECONDS: '0.2' }, 'unset EPOCHREALTIME');
    expect(notOk(result.stdout)[0]).toMatch(/^not ok - st2 login as st2admin: .* within 2s/);
    expect(result.seconds).toBeLessThan(8);
    const passing = run({}, 'unset EPOCHREALTIME');
    expect(passing.stdout).toContain('10 passed, 0 failed');
  });

  test('waits for login: failing the first 2 attempts, then succeeding, passes', () => {
    const result = run({ FAKE_LOGIN_FAILS_FIRST: '2' });
    expect(result.stdout).toContain('ok - st2 login as st2admin (attempt 3, after 0s)');
    expect(result.stdout).toContain('10 passed, 0 failed');
    expect(result.status).toBe(0);
  });

  test('login never succeeding fails after SMOKE_WAIT_SECONDS, naming the wait, and runs nothing else', () => {
    const result = run({ FAKE_LOGIN_FAILS_FIRST: 'always', SMOKE_WAIT_SECONDS: '2', SMOKE_RETRY_SECONDS: '0.2' });
    expect(result.status).not.toBe(0);
    expect(result.seconds).toBeGreaterThanOrEqual(2);
    expect(result.seconds).toBeLessThan(5);
    const failures = notOk(result.stdout);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(
      /^not ok - st2 login as st2admin: st2auth at http:\/\/st2auth\.test:9100\/ did not accept the login within 2s \(\d+ attempts\); last answer: .*Connection refused/,
    );
    expect(result.stdout).toContain('0 passed, 1 failed');
    expect(new Set(result.calls.map((call) => call.split(' ')[0]))).toEqual(new Set(['auth']));
  });

  test('wrong credentials: the wait ends with the last error from st2auth', () => {
    const result = run({ ST2_AUTH_PASSWORD: 'wrong', SMOKE_WAIT_SECONDS: '0' });
    expect(notOk(result.stdout)[0]).toContain('Invalid or missing credentials');
    expect(result.status).not.toBe(0);
  });

  test('missing or malformed settings fail at once, before any wait', () => {
    const result = run({ ST2_AUTH_PASSWORD: '', SMOKE_WAIT_SECONDS: 'ten', SMOKE_RBAC: 'yes' });
    expect(notOk(result.stdout)).toEqual([
      "not ok - configuration: ST2_AUTH_PASSWORD is not set;SMOKE_WAIT_SECONDS=ten is not a whole number;SMOKE_RBAC=yes is not true or false (look at the Job's env)",
    ]);
    expect(result.calls).toEqual([]);
    expect(result.status).not.toBe(0);
  });

  test('without SMOKE_EXPECT_VERSION any version is accepted', () => {
    const result = run({ SMOKE_EXPECT_VERSION: '', FAKE_FAIL: 'version,api-version' });
    expect(result.stdout).toContain('ok - st2 version (st2 3.8.1, on Python 3.10.12)');
    expect(result.stdout).toContain('ok - st2api answers (version 3.8.1)');
    expect(result.status).toBe(0);
  });

  // Python 3 in the 3.x images, 2.7 in the 2.x ones (where this machine has it).
  describe.each(interpreters().found.map((python) => [python.name, python.executable] as const))(
    'the real HTTP probes (%s) against a local server',
    (_, python) => {
      let server: ChildProcess;
      let port: number;

      // A separate process: spawnSync blocks this one's event loop. The stream never ends, as
      // st2stream's does not, so a probe that waited for the end would hit the spawn timeout.
      const SERVER = `
      const http = require('http');
      http.createServer((req, res) => {
        if (req.headers['x-auth-token'] !== '${TOKEN}') { res.writeHead(401, { 'Content-Type': 'application/json' }); return res.end('{"faultstring": "Unauthorized"}'); }
        if (req.method === 'GET' && req.url === '/v1') { res.writeHead(200, { 'Content-Type': 'application/json' }); return res.end('{"version": "3.9.0", "docs_url": "http://docs.stackstorm.com/3.9"}'); }
        if (req.method === 'POST' && req.url === '/v1/tokens/validate') {
          let body = ''; req.on('data', (chunk) => { body += chunk; });
          return req.on('end', () => { res.writeHead(200, { 'Content-Type': 'application/json' }); res.end(JSON.stringify({ valid: JSON.parse(body).token === '${TOKEN}' })); });
        }
        if (req.method === 'GET' && req.url === '/v1/stream') { res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=UTF-8' }); return res.write('\\n'); }
        res.writeHead(404, { 'Content-Type': 'application/json' }); res.end('{"faultstring": "Not Found"}');
      }).listen(0, '127.0.0.1', function () { console.log(this.address().port); });`;

      beforeAll(async () => {
        server = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
        port = await new Promise<number>((resolve, reject) => {
          server.stdout!.once('data', (data: Buffer) => resolve(Number(data.toString().trim())));
          server.once('exit', (code) => reject(new Error(`test server exited with ${code}`)));
        });
      });

      afterAll(() => {
        server.kill();
      });

      const realRun = (env: Record<string, string>) =>
        run({
          SMOKE_PYTHON: python,
          ST2_API_URL: `http://127.0.0.1:${port}`,
          ST2_AUTH_URL: `http://127.0.0.1:${port}/`,
          ST2_STREAM_URL: `http://127.0.0.1:${port}/v1`,
          ...env,
        });

      test('api, auth and stream pass, without waiting for the stream to end', () => {
        const result = realRun({});
        expect(notOk(result.stdout)).toEqual([]);
        expect(result.stdout).toContain('ok - st2stream answers (event stream opened)');
        expect(result.stdout).toContain('10 passed, 0 failed');
        expect(result.seconds).toBeLessThan(5);
      });

      test('an HTTP error and a refused connection are each reported', () => {
        const result = realRun({ ST2_STREAM_URL: `http://127.0.0.1:${port}/elsewhere`, ST2_API_URL: 'http://127.0.0.1:1' });
        const failures = notOk(result.stdout);
        expect(failures).toHaveLength(2);
        expect(failures[0]).toMatch(/^not ok - st2api answers: no answer from http:\/\/127\.0\.0\.1:1\/v1: .*refused/i);
        expect(failures[1]).toContain(`not ok - st2stream answers: GET http://127.0.0.1:${port}/elsewhere/v1/stream gave HTTP 404`);
        expect(result.status).toBe(1);
      });
    },
  );
});
