export * from './stackstorm-ha';
export * from './config/settings';
export * from './config/datastores';
export * from './config/endpoints';
export * from './common/errors';
export * from './st2/st2-conf';
export * from './st2/st2-process';
export * from './st2/api';
