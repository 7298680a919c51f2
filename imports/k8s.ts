/**
 * Typed Kubernetes 1.27 API objects for what cdk8s-plus has no construct for
 * (PodDisruptionBudget, HorizontalPodAutoscaler v2, NetworkPolicy details, ...).
 *
 * Why a re-export and not `cdk8s import k8s@1.27.0`: that command downloads the OpenAPI
 * document from the web, which these machines cannot reach. cdk8s-plus-27 ships the
 * classes `cdk8s import` generates from exactly that document (1.27.0), pinned with the
 * package in package-lock.json, and `schemas/k8s/v1.27.0-definitions.json` is the same
 * schema our tests validate every object against. Re-exporting it keeps one generated copy,
 * works offline, and is reproduced by `npm ci` alone. `__tests__/imports.test.ts` checks
 * that every class we use maps to a kind the 1.27 schema defines.
 */
export { k8s } from 'cdk8s-plus-27';
