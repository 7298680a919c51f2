import { check } from '../common/errors';
import { St2AuthSettings } from '../config/st2';
import { St2AuthBackend } from './st2-conf';

const KWARG = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SECRET_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;

/**
 * `st2.auth` as st2.conf will name it, checked: undefined for the default flat_file backend
 * (whose file StackStormHa manages). Each Secret kwarg gets the environment variable
 * st2auth's prepare step reads it from.
 */
export function resolveAuthBackend(auth: St2AuthSettings | undefined): St2AuthBackend | undefined {
  const backend = auth?.backend ?? 'flat_file';
  check(
    /^[a-z][a-z0-9_]*$/.test(backend),
    'st2.auth.backend',
    `${JSON.stringify(backend)} is not a backend name`,
    'name an st2 auth backend, e.g. flat_file or ldap',
  );
  const kwargs = auth?.backendKwargs ?? {};
  const secretKwargs = auth?.secretKwargs ?? {};
  if (backend === 'flat_file') {
    const given = Object.keys(kwargs).length > 0 ? 'st2.auth.backendKwargs' : Object.keys(secretKwargs).length > 0 ? 'st2.auth.secretKwargs' : undefined;
    check(
      given === undefined,
      given ?? '',
      'flat_file reads the htpasswd Secret at a path StackStormHa manages',
      'give users in secrets.htpasswd, or choose another backend',
    );
    return undefined;
  }
  for (const [key, value] of Object.entries(kwargs)) {
    check(KWARG.test(key), `st2.auth.backendKwargs.${key}`, 'is not a keyword name', 'use letters, digits and _');
    const ok = ['string', 'number', 'boolean'].includes(typeof value) || (Array.isArray(value) && value.every((item) => typeof item === 'string'));
    check(
      ok,
      `st2.auth.backendKwargs.${key}`,
      `${JSON.stringify(value)} is not a scalar or a list of strings`,
      'give a string, number, boolean or a list of strings',
    );
  }
  const variables: Record<string, string> = {};
  const refs: Record<string, { name: string; key: string }> = {};
  for (const [key, ref] of Object.entries(secretKwargs)) {
    const at = `st2.auth.secretKwargs.${key}`;
    check(KWARG.test(key), at, 'is not a keyword name', 'use letters, digits and _');
    check(!(key in kwargs), at, `${key} is also in st2.auth.backendKwargs`, 'give it in one place: from a Secret here, or as a value there');
    check(
      SECRET_NAME.test(ref?.secret ?? ''),
      `${at}.secret`,
      `${JSON.stringify(ref?.secret)} is not a Secret name`,
      'use lower-case letters, digits, - and .',
    );
    check(SECRET_KEY.test(ref?.key ?? ''), `${at}.key`, `${JSON.stringify(ref?.key)} is not a Secret key`, 'use letters, digits, -, _ and .');
    variables[key] = `ST2_AUTH_${key.toUpperCase()}`;
    refs[key] = { name: ref.secret, key: ref.key };
  }
  return { backend, kwargs, secretKwargs: variables, secretRefs: refs };
}

/** Ports st2auth reaches its backend on: `port` from the kwargs, else LDAP's and LDAPS's. */
export function authBackendPorts(auth: St2AuthBackend): number[] {
  const port = auth.kwargs.port;
  return typeof port === 'number' && Number.isInteger(port) ? [port] : [389, 636];
}
