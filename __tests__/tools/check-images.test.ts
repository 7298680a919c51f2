/**
 * scripts/check-images.sh confirms the image model against the real images on a machine
 * with docker or podman (not here: nothing may be pulled in CI). These tests keep its
 * expectations equal to the model and run it against a stand-in `docker`
 * (__tests__/support/stand-ins/docker) that answers like the images, or wrongly on request.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { DEFAULT_ST2_VERSION } from '../../lib/stackstorm-ha';
import { imageModelOf, ST2_SHIPPED_PACKS, ST2_STANLEY } from '../../lib/images/image-model';

const root = path.join(__dirname, '..', '..');
const script = path.join(root, 'scripts', 'check-images.sh');
const text = fs.readFileSync(script, 'utf8');
const setting = (name: string) => {
  const match = new RegExp(`^${name}=("[^"]*"|\\S+)`, 'm').exec(text);
  if (!match) throw new Error(`${name} is not set in check-images.sh`);
  return match[1].replace(/^"|"$/g, '');
};

test("its expectations are the image model's facts and the pinned release", () => {
  const st2 = imageModelOf('st2api')!;
  expect(setting('PINNED_VERSION')).toBe(DEFAULT_ST2_VERSION);
  expect(Number(setting('EXPECT_STANLEY_UID'))).toBe(ST2_STANLEY.uid!.value);
  expect(Number(setting('EXPECT_STANLEY_GID'))).toBe(ST2_STANLEY.gid!.value);
  expect(setting('EXPECT_SYSTEM_PACKS').split(' ')).toEqual([...ST2_SHIPPED_PACKS]);
  expect([setting('EXPECT_ARCH')]).toEqual(st2.architectures.value);
  expect(st2.paths['/etc/st2/htpasswd'].type).toBe('file');
  expect(setting('EXPECT_HTPASSWD_TYPE')).toBe('regular file');
  expect(setting('EXPECT_ST2_PY_MODULES').split(' ')).toContain('kazoo');
});

function run(env: Record<string, string> = {}) {
  const result = spawnSync('bash', [script], {
    env: { PATH: `${path.join(root, '__tests__', 'support', 'stand-ins')}:${process.env.PATH}`, HOME: process.env.HOME ?? '/tmp', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, out: result.stdout + result.stderr };
}

test('passes when the images answer as the model says', () => {
  const { status, out } = run();
  expect(out).toMatch(/^\d+ passed, 0 failed$/m);
  expect(status).toBe(0);
});

test.each([
  [
    'stanley has another UID',
    { FAKE_STANLEY_UID: '1001', FAKE_STANLEY_GID: '1001' },
    /FAIL st2api: stanley's UID is 1000 \(id -u stanley\): expected 1000, found 1001/,
    /release\.st2RunAs: \{ user: 1001, group: 1001 \}/,
  ],
  ['htpasswd is a folder', { FAKE_HTPASSWD: 'dir', FAKE_TARGET: 'st2auth' }, /FAIL st2auth: .*htpasswd.*expected regular file, found directory/, /1 failed/],
  ['kazoo is missing', { FAKE_IMPORT_FAIL: 'kazoo', FAKE_TARGET: 'st2scheduler' }, /FAIL st2scheduler: .*kazoo/, /1 failed/],
  ['a system pack is missing', { FAKE_MISSING_PACK: 'core', FAKE_TARGET: 'st2actionrunner' }, /FAIL st2actionrunner: .*core/, /1 failed/],
  ['an arm64 image', { FAKE_ARCH: 'arm64', FAKE_TARGET: 'st2web' }, /FAIL st2web: architecture is amd64: expected amd64, found arm64/, /1 failed/],
])('fails, naming the fact, when %s', (_, env, line, summary) => {
  const { status, out } = run(env);
  expect(out).toMatch(line);
  expect(out).toMatch(summary);
  expect(status).toBe(1);
});

test('says so when no container runtime is usable', () => {
  const { status, out } = run({ FAKE_DAEMON_DOWN: '1' });
  expect(status).toBe(2);
  expect(out).toMatch(/check-images: /);
});
